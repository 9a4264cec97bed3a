/*
 * Linked into every Node-API addon scripts/win32/ builds (mingw.js nodeApiLinkage): the addon imports the N-API
 * functions from NODE.EXE through a delay-load import library (dlltool -y), and this hook answers the loader's
 * request for NODE.EXE with the module of the running process, whatever its file is called (VS Code's Code.exe running
 * the daemon with ELECTRON_RUN_AS_NODE, a renamed node.exe). Electron's and Node's executables export the N-API
 * functions themselves. The MSVC equivalent is node-gyp's src/win_delay_load_hook.cc (node-gyp 12.4.0, lines 23-37),
 * which also tries libnode.dll first for Node built as a DLL; so does this.
 * MinGW-w64's __delayLoadHelper2 (libmingwex) calls __pfnDliNotifyHook2 with dliNotePreLoadLibrary before it loads a
 * DLL (delayimp.h); defining the pointer here takes the place of libdelayimp.a's null one.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <delayimp.h>
#include <string.h>

static FARPROC WINAPI load_host_hook(unsigned event, PDelayLoadInfo info) {
  if (event != dliNotePreLoadLibrary || _stricmp(info->szDll, "NODE.EXE") != 0) return NULL;
  HMODULE module = GetModuleHandleA("libnode.dll");
  if (module == NULL) module = GetModuleHandleA(NULL);
  return (FARPROC)module;
}

PfnDliHook __pfnDliNotifyHook2 = load_host_hook;
