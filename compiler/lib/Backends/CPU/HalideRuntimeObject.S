// Halide's runtime as built for libattnc_runtime (runtime/halide), embedded
// as bytes: the JIT of `attnc run` loads it beside a model's pipelines.
        .section .rodata
        .balign 64
        .globl attnc_halide_runtime_object
attnc_halide_runtime_object:
        .incbin ATTNC_HALIDE_RUNTIME_OBJECT
        .globl attnc_halide_runtime_object_end
attnc_halide_runtime_object_end:
        .section .note.GNU-stack,"",@progbits
