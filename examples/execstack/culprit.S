/* A function written in assembly, the classic way to get an executable
 * stack by accident: this file has no
 *     .section .note.GNU-stack,"",@progbits
 * so the linker marks the whole library as needing an executable stack
 * ("missing .note.GNU-stack section implies executable stack"). */
        .text
        .globl  culprit_answer
        .type   culprit_answer, @function
culprit_answer:
        movl    $7, %eax
        ret
        .size   culprit_answer, .-culprit_answer
