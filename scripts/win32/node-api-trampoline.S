/*
 * The trampoline every Node-API import of a win32 addon takes on its first call (scripts/win32/node-api.js): the
 * generated table's slot for a function first points at a thunk that loads the slot's address into %rax and jumps
 * here; this saves the argument registers, asks earshot_napi_resolve (node-api-resolver.c) for the host's function,
 * which also stores it in the slot, restores the arguments and jumps to it, so the first call arrives with its
 * arguments as the caller set them.
 *
 * Why our own and not binutils' `dlltool -y`: dlltool 2.40 (Debian 12's, what this project builds with) saves only
 * rcx, rdx, r8 and r9 (its i386_x64_trampoline; disassembled in test/unit/win32-node-api.test.ts), so a double argument
 * in xmm0-xmm3 reaches the host's function as whatever __delayLoadHelper2 and GetProcAddress left there: the first
 * napi_create_double of an addon can return a wrong number (binutils PR 29189; quick-lint/quick-lint-js#718 saw it in
 * VS Code on Windows 10). binutils master's i386_x64_trampoline (binutils/dlltool.c, after Alan Modra's fix of May
 * 2023) saves xmm0-xmm5 too, with this layout: "at least xmm0 and xmm1 are trashed in some versions of Microsoft dlls",
 * and xmm4/xmm5 carry the low halves of vector arguments. Which dlltool a runner has then no longer decides it.
 *
 * Stack: we enter by a jmp from the thunk, so %rsp is 8 past a 16-byte boundary (the caller's return address);
 * 136 bytes realign it for movaps and the call, and leave 32 bytes of home space for the resolver (Windows x64
 * convention) below the six xmm saves. The integer arguments go to the caller's home space above the return address,
 * which the x64 convention reserves for this function's use.
 */
	.text
	.globl	__tailMerge_NODE_EXE
	.def	__tailMerge_NODE_EXE; .scl 2; .type 32; .endef
	.seh_proc	__tailMerge_NODE_EXE
__tailMerge_NODE_EXE:
	subq	$136, %rsp
	.seh_stackalloc	136
	.seh_endprologue
	movq	%rcx, 136+8(%rsp)
	movq	%rdx, 136+16(%rsp)
	movq	%r8, 136+24(%rsp)
	movq	%r9, 136+32(%rsp)
	movaps	%xmm0, 32(%rsp)
	movaps	%xmm1, 48(%rsp)
	movaps	%xmm2, 64(%rsp)
	movaps	%xmm3, 80(%rsp)
	movaps	%xmm4, 96(%rsp)
	movaps	%xmm5, 112(%rsp)
	movq	%rax, %rcx
	call	earshot_napi_resolve
	movq	136+8(%rsp), %rcx
	movq	136+16(%rsp), %rdx
	movq	136+24(%rsp), %r8
	movq	136+32(%rsp), %r9
	movaps	32(%rsp), %xmm0
	movaps	48(%rsp), %xmm1
	movaps	64(%rsp), %xmm2
	movaps	80(%rsp), %xmm3
	movaps	96(%rsp), %xmm4
	movaps	112(%rsp), %xmm5
	addq	$136, %rsp
	jmp	*%rax
	.seh_endproc
