/*
 * Forced into every C and C++ file of the win32 whisper.cpp build (scripts/win32/whisper.js: -include): what Debian
 * 12's MinGW-w64 headers (10.0) lack and ggml uses. ggml-cpu.c's ggml_thread_apply_priority sets
 * THREAD_POWER_THROTTLING_STATE under _WIN32_WINNT >= 0x0602 (Windows 11 parks cores otherwise); MinGW-w64 10 has the
 * ThreadPowerThrottling class (winbase.h) but not the structure, which its version 11 added (processthreadsapi.h).
 * The definition is Windows SDK's (processthreadsapi.h, THREAD_POWER_THROTTLING_*).
 */
#pragma once
#include <_mingw_mac.h>
#if defined(__MINGW64_VERSION_MAJOR) && __MINGW64_VERSION_MAJOR < 11
#define THREAD_POWER_THROTTLING_CURRENT_VERSION 1
#define THREAD_POWER_THROTTLING_EXECUTION_SPEED 0x1
#define THREAD_POWER_THROTTLING_VALID_FLAGS (THREAD_POWER_THROTTLING_EXECUTION_SPEED)
typedef struct _THREAD_POWER_THROTTLING_STATE {
  unsigned long Version;
  unsigned long ControlMask;
  unsigned long StateMask;
} THREAD_POWER_THROTTLING_STATE;
#endif
