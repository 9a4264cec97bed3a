// earshot-audio-processes: which processes use audio input now, for call detection on macOS (daemon/calls/mac.ts).
// Part of Earshot, MIT licence. Built by scripts/mac-capture-app.js into out/mac-capture/, beside "Earshot Audio
// Capture.app" and not inside it (see "Why outside the app" below).
//
//   earshot-audio-processes [--own-pid PID] [--own-executable PATH]
//       One JSON line on stdout, exit 0:
//         {"processes":[{"pid":812,"bundleId":"us.zoom.xos","runningInput":true}, …]}
//       leaving out Earshot's own recorders: the process PID (the daemon) and its descendants, and any process whose
//       executable is PATH (the capture app's earshot-capture) and its descendants (the audiotee it runs: launchd
//       started the app, so it descends from no daemon). Why here: a tap's aggregate device has input streams, so
//       Earshot's own audiotee may well run input, has no bundle id, and only its parent chain tells it is Earshot's;
//       the chain is the OS's (proc_pidinfo PROC_PIDTBSDINFO's pbi_ppid and proc_pidpath on macOS, <libproc.h>;
//       /proc/PID/stat and /proc/PID/exe on Linux), at most 64 steps.
//       A fault: one line on stderr, nothing on stdout, exit 2 (no process objects: macOS before 14.2), 3 (Core Audio or
//       the sound server refused the list), 64 (usage).
//   earshot-audio-processes --version    prints PROCESSES_VERSION.
//
// macOS: one entry per object of kAudioHardwarePropertyProcessObjectList on kAudioObjectSystemObject, with its
// kAudioProcessPropertyPID, kAudioProcessPropertyBundleID and kAudioProcessPropertyIsRunningInput. Read from the
// macOS 14.2 SDK's CoreAudio.framework/Versions/A/Headers/AudioHardware.h (alexey-lysiuk/macos-sdk at a79de83,
// MacOSX14.2.sdk/…):
//   - the AudioSystemObject properties enum: kAudioHardwarePropertyProcessObjectList = 'prs#', "An array of
//     AudioObjectIDs that represent the Process objects for all client processes currently connected to the system";
//   - the "Process Properties" enum (`#pragma mark Process Properties`): kAudioProcessPropertyPID = 'ppid' ("A pid_t"),
//     kAudioProcessPropertyBundleID = 'pbid' ("A CFString … The caller is responsible for releasing the returned
//     CFObject"), kAudioProcessPropertyIsRunningInput = 'piri' ("A UInt32 where a value of 0 indicates that the process
//     is not running any IO or there is not any active input streams, and a value of 1 indicates that the process is
//     running IO and there is at least one active input stream").
// The macOS 14.0 SDK's header (same repository, MacOSX14.0.sdk, at 6c1513f) has none of them: its AudioSystemObject
// enum ends at kAudioHardwarePropertyPowerHint = 'powh'. So the process objects arrived with 14.2 (with the taps
// audiotee uses); on an older macOS the system object does not have the property (AudioObjectHasProperty), which is
// the fault line below. The values are spelled out here (kSelector…) so that the source compiles with an older SDK
// too; with a 14.2+ SDK a static_assert holds them to Apple's names.
// Other projects read the same properties to tell who uses audio (sbooth/CAAudioHardware's AudioProcess,
// "@available(macOS 14.2, *)"). Reading them records nothing, and the header names no permission for them; that macOS
// asks nothing for them is not seen on a Mac here (docs/platforms.md, "macOS: call detection").
//
// Why outside the app: the app's ad-hoc signature is what macOS keeps the user's microphone and system-audio grant for
// (its designated requirement is its code directory hash; review 3, P1, earshot-capture.cpp's header). A bundle's
// signature seals every file in the bundle ("If the code item is a bundle, that item's code signature will seal over all
// the resources in that bundle", Apple DTS, developer.apple.com/forums/thread/749471), through the CodeResources file
// whose hash is a special slot of the main executable's code directory (cdResourceDirSlot, kSecCS_RESOURCEDIRFILE:
// Apple's Security, libsecurity_codesigning/lib/codedirectory.cpp). A new file in Contents/MacOS, or a new subcommand
// in earshot-capture, would change that hash and lose every user's grant; a file beside the bundle is sealed by nothing
// of it. This program needs no grant of its own, so it runs as a plain child of the daemon, bounded by it (detector.ts).
//
// Linux (where the tests build and run it): the same line from the sound server's recording streams, through
// libpulse's introspection API (pa_context_get_source_output_info_list): pid from application.process.id, bundleId
// from application.name, runningInput when the stream is not corked. It exists so that the daemon's path for macOS
// (detector.ts running this binary, bounded, parsing its line) runs end to end on a real sound server
// (test/integration/calls-mac-processes.test.ts); Earshot on Linux asks pactl instead (daemon/calls/pulse.ts).
#define PROCESSES_VERSION "1.0.0"

#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <sys/types.h>
#include <unistd.h>
#if defined(__APPLE__)
#include <libproc.h>
#else
#include <fstream>
#include <sstream>
#endif

namespace {

/** The process's parent, or 0 when it cannot be told (gone, another user's). */
long long parentOf(long long pid) {
#if defined(__APPLE__)
  struct proc_bsdinfo info{};
  if (proc_pidinfo(static_cast<int>(pid), PROC_PIDTBSDINFO, 0, &info, PROC_PIDTBSDINFO_SIZE) != PROC_PIDTBSDINFO_SIZE) return 0;
  return static_cast<long long>(info.pbi_ppid);
#else
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::stringstream text;
  text << file.rdbuf();
  const std::string stat = text.str();
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  char state = 0;
  long long ppid = 0;
  return std::sscanf(stat.c_str() + close + 1, " %c %lld", &state, &ppid) == 2 ? ppid : 0;
#endif
}

/** The process's executable, resolved, or "" when it cannot be told. */
std::string executableOf(long long pid) {
#if defined(__APPLE__)
  char path[PROC_PIDPATHINFO_MAXSIZE];
  return proc_pidpath(static_cast<int>(pid), path, sizeof path) > 0 ? path : "";
#else
  char path[PATH_MAX];
  const ssize_t n = readlink(("/proc/" + std::to_string(pid) + "/exe").c_str(), path, sizeof path - 1);
  return n > 0 ? std::string(path, static_cast<size_t>(n)) : "";
#endif
}

/** Earshot's own recorders: `ownPid` and its descendants, and processes running `ownExecutable` and theirs. */
struct Own {
  long long ownPid = 0;
  std::string ownExecutable;

  bool operator()(long long pid) const {
    if (ownPid <= 0 && ownExecutable.empty()) return false;
    long long at = pid;
    for (int depth = 0; depth < 64 && at > 1; depth++) {
      if (at == ownPid) return true;
      if (!ownExecutable.empty() && executableOf(at) == ownExecutable) return true;
      const long long parent = parentOf(at);
      if (parent <= 0 || parent == at) return false;
      at = parent;
    }
    return false;
  }
};

struct AudioProcess {
  long long pid;
  std::string bundleId;
  bool runningInput;
};

/** Whether `s` from `i` starts a well-formed UTF-8 sequence; its length in `len`. */
bool utf8At(const std::string &s, size_t i, size_t &len) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) { len = 1; return true; }
  size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
  if (n == 0 || c > 0xf4 || i + n > s.size()) return false;
  for (size_t k = 1; k < n; k++) if ((b(i + k) & 0xc0) != 0x80) return false;
  // Overlong forms and surrogates are not UTF-8 (RFC 3629, section 4).
  if ((c == 0xe0 && b(i + 1) < 0xa0) || (c == 0xed && b(i + 1) > 0x9f) || (c == 0xf0 && b(i + 1) < 0x90) || (c == 0xf4 && b(i + 1) > 0x8f)) return false;
  len = n;
  return true;
}

/** A JSON string (RFC 8259): quotes, backslashes and control characters escaped, bytes that are not UTF-8 as U+FFFD. */
std::string jsonString(const std::string &s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    if (c == '"' || c == '\\') { out += '\\'; out += static_cast<char>(c); i++; }
    else if (c < 0x20 || c == 0x7f) { char buf[8]; std::snprintf(buf, sizeof buf, "\\u%04x", c); out += buf; i++; }
    else if (utf8At(s, i, len)) { out.append(s, i, len); i += len; }
    else { out += "\\ufffd"; i++; }
  }
  return out + "\"";
}

void printProcesses(const std::vector<AudioProcess> &processes) {
  std::string line = "{\"processes\":[";
  for (size_t i = 0; i < processes.size(); i++) {
    const AudioProcess &p = processes[i];
    line += (i ? ",{" : "{");
    line += "\"pid\":" + std::to_string(p.pid) + ",\"bundleId\":" + jsonString(p.bundleId) + ",\"runningInput\":" + (p.runningInput ? "true" : "false") + "}";
  }
  line += "]}\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

int fault(int code, const std::string &message) {
  std::fprintf(stderr, "%s\n", message.c_str());
  return code;
}

}  // namespace

#if defined(__APPLE__)
#include <CoreAudio/CoreAudio.h>
#include <CoreFoundation/CoreFoundation.h>

namespace {

// AudioHardware.h, macOS 14.2 SDK (above): the selectors as four-character codes.
constexpr AudioObjectPropertySelector kSelectorProcessObjectList = 'prs#';
constexpr AudioObjectPropertySelector kSelectorProcessPID = 'ppid';
constexpr AudioObjectPropertySelector kSelectorProcessBundleID = 'pbid';
constexpr AudioObjectPropertySelector kSelectorProcessIsRunningInput = 'piri';
// kAudioObjectPropertyElementMain (AudioHardwareBase.h), 0; named so only from the macOS 12 SDK on, Master before.
constexpr AudioObjectPropertyElement kElementMain = 0;
#if defined(__MAC_OS_X_VERSION_MAX_ALLOWED) && defined(__MAC_14_2) && __MAC_OS_X_VERSION_MAX_ALLOWED >= __MAC_14_2
static_assert(kSelectorProcessObjectList == kAudioHardwarePropertyProcessObjectList, "AudioHardware.h: 'prs#'");
static_assert(kSelectorProcessPID == kAudioProcessPropertyPID, "AudioHardware.h: 'ppid'");
static_assert(kSelectorProcessBundleID == kAudioProcessPropertyBundleID, "AudioHardware.h: 'pbid'");
static_assert(kSelectorProcessIsRunningInput == kAudioProcessPropertyIsRunningInput, "AudioHardware.h: 'piri'");
#endif

AudioObjectPropertyAddress globalAddress(AudioObjectPropertySelector selector) {
  return AudioObjectPropertyAddress{selector, kAudioObjectPropertyScopeGlobal, kElementMain};
}

std::string fourcc(OSStatus status) {
  const uint32_t v = static_cast<uint32_t>(status);
  char text[5] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v), 0};
  for (int i = 0; i < 4; i++) if (text[i] < 0x20 || text[i] > 0x7e) return std::to_string(status);
  return std::to_string(status) + " '" + text + "'";
}

std::string utf8(CFStringRef s) {
  if (!s) return "";
  const CFIndex length = CFStringGetLength(s);
  std::vector<char> buffer(static_cast<size_t>(CFStringGetMaximumSizeForEncoding(length, kCFStringEncodingUTF8)) + 1, 0);
  if (!CFStringGetCString(s, buffer.data(), static_cast<CFIndex>(buffer.size()), kCFStringEncodingUTF8)) return "";
  return buffer.data();
}

int listProcesses(const Own &own) {
  const AudioObjectPropertyAddress list = globalAddress(kSelectorProcessObjectList);
  if (!AudioObjectHasProperty(kAudioObjectSystemObject, &list)) {
    return fault(2, "Core Audio has no process objects on this macOS (kAudioHardwarePropertyProcessObjectList arrived in macOS 14.2)");
  }
  UInt32 size = 0;
  OSStatus status = AudioObjectGetPropertyDataSize(kAudioObjectSystemObject, &list, 0, nullptr, &size);
  if (status != noErr) return fault(3, "Core Audio refused the size of the process list: " + fourcc(status));
  std::vector<AudioObjectID> objects(size / sizeof(AudioObjectID));
  if (!objects.empty()) {
    status = AudioObjectGetPropertyData(kAudioObjectSystemObject, &list, 0, nullptr, &size, objects.data());
    if (status != noErr) return fault(3, "Core Audio refused the process list: " + fourcc(status));
    objects.resize(size / sizeof(AudioObjectID));  // a process may have left between the two calls
  }
  std::vector<AudioProcess> processes;
  for (const AudioObjectID object : objects) {
    // A process that ends between the list and these reads is left out (its object answers with an error).
    const AudioObjectPropertyAddress pidAddress = globalAddress(kSelectorProcessPID);
    pid_t pid = 0;
    UInt32 pidSize = sizeof pid;
    if (AudioObjectGetPropertyData(object, &pidAddress, 0, nullptr, &pidSize, &pid) != noErr || pid <= 0 || own(pid)) continue;
    const AudioObjectPropertyAddress inputAddress = globalAddress(kSelectorProcessIsRunningInput);
    UInt32 runningInput = 0;
    UInt32 inputSize = sizeof runningInput;
    if (AudioObjectGetPropertyData(object, &inputAddress, 0, nullptr, &inputSize, &runningInput) != noErr) continue;
    const AudioObjectPropertyAddress bundleAddress = globalAddress(kSelectorProcessBundleID);
    CFStringRef bundle = nullptr;
    UInt32 bundleSize = sizeof bundle;
    std::string bundleId;
    if (AudioObjectGetPropertyData(object, &bundleAddress, 0, nullptr, &bundleSize, &bundle) == noErr && bundle) {
      bundleId = utf8(bundle);
      CFRelease(bundle);
    }
    processes.push_back({static_cast<long long>(pid), bundleId, runningInput != 0});
  }
  printProcesses(processes);
  return 0;
}

}  // namespace

#else
#include <pulse/pulseaudio.h>

namespace {

struct Query {
  Own own;
  pa_mainloop *loop = nullptr;
  std::vector<AudioProcess> processes;
  std::string error;
  bool done = false;
};

void onSourceOutput(pa_context *context, const pa_source_output_info *info, int eol, void *userdata) {
  Query &q = *static_cast<Query *>(userdata);
  if (eol < 0) q.error = std::string("the sound server refused the list of recording streams: ") + pa_strerror(pa_context_errno(context));
  if (eol != 0) { q.done = true; pa_mainloop_quit(q.loop, 0); return; }
  const char *pid = pa_proplist_gets(info->proplist, PA_PROP_APPLICATION_PROCESS_ID);
  const char *name = pa_proplist_gets(info->proplist, PA_PROP_APPLICATION_NAME);
  char *end = nullptr;
  const long long value = pid ? std::strtoll(pid, &end, 10) : 0;
  if (!pid || *end != '\0' || value <= 0) return;  // a stream of no known process (macOS has a pid for every object)
  if (q.own(value)) return;
  q.processes.push_back({value, name ? name : "", info->corked == 0});
}

void onState(pa_context *context, void *userdata) {
  Query &q = *static_cast<Query *>(userdata);
  switch (pa_context_get_state(context)) {
    case PA_CONTEXT_READY: {
      pa_operation *op = pa_context_get_source_output_info_list(context, onSourceOutput, &q);
      if (op) pa_operation_unref(op);
      else { q.error = std::string("the list of recording streams could not be asked for: ") + pa_strerror(pa_context_errno(context)); pa_mainloop_quit(q.loop, 0); }
      break;
    }
    case PA_CONTEXT_FAILED:
    case PA_CONTEXT_TERMINATED:
      if (!q.done) { q.error = std::string("no sound server: ") + pa_strerror(pa_context_errno(context)); pa_mainloop_quit(q.loop, 0); }
      break;
    default:
      break;
  }
}

int listProcesses(const Own &own) {
  Query q;
  q.own = own;
  q.loop = pa_mainloop_new();
  pa_context *context = pa_context_new(pa_mainloop_get_api(q.loop), "earshot-audio-processes");
  pa_context_set_state_callback(context, onState, &q);
  if (pa_context_connect(context, nullptr, PA_CONTEXT_NOAUTOSPAWN, nullptr) < 0) {
    q.error = std::string("no sound server: ") + pa_strerror(pa_context_errno(context));
  } else {
    int ret = 0;
    pa_mainloop_run(q.loop, &ret);  // the daemon bounds this process (detector.ts: SIGKILL at its limit)
  }
  pa_context_disconnect(context);
  pa_context_unref(context);
  pa_mainloop_free(q.loop);
  if (!q.error.empty() || !q.done) return fault(3, q.error.empty() ? "the sound server did not finish the list" : q.error);
  printProcesses(q.processes);
  return 0;
}

}  // namespace
#endif

int main(int argc, char **argv) {
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) { std::printf("%s\n", PROCESSES_VERSION); return 0; }
  Own own;
  for (int i = 1; i < argc; i += 2) {
    const bool valued = i + 1 < argc;
    char *end = nullptr;
    if (valued && std::strcmp(argv[i], "--own-pid") == 0) {
      own.ownPid = std::strtoll(argv[i + 1], &end, 10);
      if (*end != '\0' || own.ownPid <= 0) return fault(64, std::string("--own-pid: not a process id: ") + argv[i + 1]);
    } else if (valued && std::strcmp(argv[i], "--own-executable") == 0) {
      char resolved[PATH_MAX];
      // A path that does not resolve (no capture app here) matches nothing.
      own.ownExecutable = realpath(argv[i + 1], resolved) ? resolved : "";
    } else {
      return fault(64, "usage: earshot-audio-processes [--own-pid PID] [--own-executable PATH] | --version");
    }
  }
  return listProcesses(own);
}
