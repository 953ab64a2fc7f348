;; A small core module: the sample that README's main-job command compiles and runs.
(module
  ;; Wrapping 32-bit addition.
  (func (export "add") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.add)

  ;; Greatest common divisor by Euclid's algorithm (a loop with an early exit).
  (func (export "gcd") (param $a i32) (param $b i32) (result i32)
    (local $t i32)
    block $done
      loop $next
        local.get $b
        i32.eqz
        br_if $done
        local.get $a
        local.get $b
        i32.rem_u
        local.set $t
        local.get $b
        local.set $a
        local.get $t
        local.set $b
        br $next
      end
    end
    local.get $a)

  ;; n! as a 64-bit integer, iteratively.
  (func (export "fact") (param $n i64) (result i64)
    (local $acc i64)
    i64.const 1
    local.set $acc
    block $done
      loop $next
        local.get $n
        i64.const 1
        i64.le_s
        br_if $done
        local.get $acc
        local.get $n
        i64.mul
        local.set $acc
        local.get $n
        i64.const 1
        i64.sub
        local.set $n
        br $next
      end
    end
    local.get $acc)
)
