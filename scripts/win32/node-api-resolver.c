/*
 * Linked into every Node-API addon scripts/win32/ builds (node-api.js linkage()), with the generated import table and
 * node-api-trampoline.S.
 *
 * 1. earshot_napi_resolve: the first call of each Node-API function lands here through the trampoline. It finds the
 *    function in the module of the running process, whatever its file is called (VS Code's Code.exe running the daemon
 *    with ELECTRON_RUN_AS_NODE, a renamed node.exe), as node-gyp's src/win_delay_load_hook.cc (node-gyp 12.4.0, lines
 *    23-37) does for MSVC builds: libnode.dll first, for Node built as a DLL, else the executable, which exports the
 *    Node-API functions itself. It stores the address in the function's slot (an aligned 8-byte store: a thread that
 *    races it stores the same value) and returns it for the trampoline to jump to.
 * 2. napi_register_module_v1: what Node calls first (after node_api_module_get_api_version_v1). Its first Node-API call
 *    is napi_create_double(env, 1.5, …), so the addon's first double passes through the trampoline, and the value is
 *    left on the module's exports as `earshotFirstDouble` for the package checks to compare (scripts/check-package.js,
 *    test/wine/package.test.ts). The addon's own initializer is compiled under another name (node-api.js
 *    ADDON_DEFINES) and called next.
 *
 * EARSHOT_TEST_TRASH_XMM=1 (tests only) makes the resolver zero xmm0-xmm5 after it has resolved, which the Windows x64
 * convention allows any callee to do (they are volatile: learn.microsoft.com "x64 calling convention", register
 * usage) and which Microsoft's own DLLs do on some Windows builds (binutils/dlltool.c's comment on its x64
 * trampoline). Wine's GetProcAddress leaves them alone, so without it no test here could see a trampoline that
 * forgets them.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <stdio.h>
#include <node_api.h>

/* The generated table (node-api.js importTableAsm): one slot per function of node_api.def, and its name. */
extern void *earshot_napi_slots[];
extern const char *const earshot_napi_names[];
extern const unsigned long long earshot_napi_count;

static napi_status missing_function(void) { return napi_generic_failure; }

static HMODULE host_module(void) {
  HMODULE module = GetModuleHandleA("libnode.dll");
  return module != NULL ? module : GetModuleHandleA(NULL);
}

static int trash_xmm_requested(void) {
  char value[4];
  DWORD n = GetEnvironmentVariableA("EARSHOT_TEST_TRASH_XMM", value, sizeof value);
  return n == 1 && value[0] == '1';
}

void *earshot_napi_resolve(void **slot) {
  unsigned long long index = (unsigned long long)(slot - earshot_napi_slots);
  const char *name = index < earshot_napi_count ? earshot_napi_names[index] : "?";
  void *function = index < earshot_napi_count ? (void *)GetProcAddress(host_module(), name) : NULL;
  if (function == NULL) {
    /* An older host than node_api.def: the addon gets napi_generic_failure from this function and throws, as node-gyp
       builds would fail the call (there, with an exception from __delayLoadHelper2). */
    fprintf(stderr, "earshot: Node-API function %s is not in this host (too old a Node or VS Code?)\n", name);
    function = (void *)missing_function;
  }
  __atomic_store_n(slot, function, __ATOMIC_RELEASE);
  if (trash_xmm_requested()) {
    __asm__ volatile("xorps %%xmm0, %%xmm0\n\txorps %%xmm1, %%xmm1\n\txorps %%xmm2, %%xmm2\n\t"
                     "xorps %%xmm3, %%xmm3\n\txorps %%xmm4, %%xmm4\n\txorps %%xmm5, %%xmm5"
                     ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5");
  }
  return function;
}

/* The addon's own initializer, renamed at its compile (NAPI_MODULE_INIT defines napi_register_module_v1). */
napi_value earshot_addon_register_module_v1(napi_env env, napi_value exports);

NAPI_MODULE_EXPORT napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  napi_value first_double = NULL;
  napi_status created = napi_create_double(env, 1.5, &first_double);
  napi_value result = earshot_addon_register_module_v1(env, exports);
  if (created == napi_ok && result != NULL) napi_set_named_property(env, result, "earshotFirstDouble", first_double);
  return result;
}
