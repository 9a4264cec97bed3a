/*
 * MinGW-w64 counterpart of node-gyp's src/win_delay_load_hook.cc: a Node-API addon linked against a delay-load
 * import library of "node.exe" (dlltool -y, from node-api-headers' def/node_api.def, whose NAME is NODE.EXE) binds
 * its napi_* calls on first use, and this hook answers the load of "node.exe" with the executable that runs: the
 * addon then loads in hosts not named node.exe (VS Code's Code.exe, Electron), which export the same symbols.
 * Without it Windows looks for a file node.exe and the addon fails with "Module not found".
 *
 * mingw-w64's __delayLoadHelper2 (libmingwex delayimp.o) calls __pfnDliNotifyHook2 with dliNotePreLoadLibrary
 * before LoadLibrary; defining the pointer here keeps libmingwex's null default (delay-n.o) out of the link.
 */
#include <windows.h>
#include <delayimp.h>

static FARPROC WINAPI load_exe_hook(unsigned event, PDelayLoadInfo info) {
  if (event != dliNotePreLoadLibrary || lstrcmpiA(info->szDll, "node.exe") != 0) return NULL;
  return (FARPROC)GetModuleHandleA(NULL);
}

PfnDliHook __pfnDliNotifyHook2 = load_exe_hook;
