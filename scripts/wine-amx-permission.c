/*
 * Preloaded into Wine's processes by the Wine suite (test/wine/wine.ts; built by scripts/wine-setup.sh): asks Linux
 * for the AMX tile state before any Windows code runs.
 *
 * Linux hands a process the AMX tile registers only after it asks, with arch_prctl(ARCH_REQ_XCOMP_PERM,
 * XFEATURE_XTILEDATA); an AMX instruction before that raises SIGILL (the kernel's Documentation/arch/x86/xstate.rst,
 * "Using dynamically enabled XSTATE features in user space applications"). ggml asks on Linux only and takes the
 * tiles as given on Windows (ggml-cpu/amx/amx.cpp ggml_amx_init: `#if defined(__linux__)` … `#elif defined(_WIN32)
 * return true`), as Windows gives them to every process; Wine does not ask for its Windows programs. So on a CPU with
 * AMX (Sapphire Rapids and later), where ggml picks its sapphirerapids variant, the package's whisper dies with
 * "Unhandled illegal instruction" under Wine at its first decode, while it runs on Windows. This asks once, for the
 * process and everything it starts; on a CPU without AMX the call fails and nothing changes.
 */
#include <sys/syscall.h>
#include <unistd.h>

#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18

__attribute__((constructor)) static void earshot_request_amx(void) {
  syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA);
}
