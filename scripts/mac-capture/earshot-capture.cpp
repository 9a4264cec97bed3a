// earshot-capture: the executable of "Earshot Audio Capture.app" (CFBundleExecutable). Part of Earshot, MIT licence.
// Built by scripts/mac-capture-app.js together with RtAudio's sources from node_modules/audify/vendor/rtaudio/
// (RtAudio 6.0.1, MIT-style licence, not copied here): CoreAudio on macOS, PulseAudio on Linux (where the tests run it).
//
//   earshot-capture devices
//       One JSON line on stdout: {"devices":[{"id","name","inputChannels","isDefaultInput","sampleRates",
//       "preferredSampleRate"}]}, input devices only; exit 0.
//   earshot-capture microphone [--device ID|default] [--sample-rate 16000] [--chunk-duration 0.02]
//                              [--device-sample-rate N]
//       Raw PCM on stdout: 16-bit signed little-endian, mono (channels averaged), at --sample-rate. stderr: JSON lines in
//       audiotee's shape (daemon/capture/audiotee.ts reads them): {"timestamp","message_type","data"}, message_type
//       info / error / metadata / stream_start / stream_stop. The metadata line (before any audio) gives the stream on
//       stdout and the device's own rate and channels. A device that cannot be opened: an error line, exit 2.
//       --device-sample-rate opens the device at N Hz and resamples here (default: what the platform's choice below
//       says); the tests use it to run the resampler on Linux. SIGTERM/SIGINT: the stream stops, exit 0. A reader gone (EPIPE): the stream stops, exit 141 (128 + SIGPIPE, as
//       a shell reports audiotee's SIGPIPE death).
//   earshot-capture system <audiotee args…>
//       posix_spawn of audiotee from the same Contents/MacOS folder with those arguments and this process's stdio;
//       SIGTERM/SIGINT sent to this process alone are passed on (the daemon signals the whole process group, which
//       reaches audiotee directly; a second SIGTERM is harmless to it); exits with audiotee's status (its signal, when
//       a signal ended it).
//       A child keeps its parent's responsible process unless the parent disclaims it
//       (responsibility_spawnattrs_setdisclaim, a private attribute not used here): Apple DTS,
//       developer.apple.com/forums/thread/731504; Qt, qt.io/blog/the-curious-case-of-the-responsible-process. So the tap
//       is asked for, and granted to, this app ("Earshot"), which LaunchServices started as its own responsible process.
//   earshot-capture <audiotee args…> (first argument starting with "--", other than --version) is `system` too: the
//       daemon before the `system` subcommand passed audiotee's arguments alone after `open --args`.
//   earshot-capture --version    prints RECORDER_VERSION.
//
// Why the app records the microphone (review 3, P2), read from the sources, not seen on a Mac:
// - The finding: audify's helper opens the microphone in VS Code's "Code Helper (Plugin)" (the extension host runs as
//   that helper since microsoft/vscode#161102, `allowLoadingUnsignedLibraries`; its process.execPath is the Plugin
//   helper, as VSCODE_GIT_ASKPASS_NODE shows), whose entitlements (build/azure-pipelines/darwin/
//   helper-plugin-entitlements.plist, both stored versions) lack com.apple.security.device.audio-input, while
//   build/darwin/sign.ts signs every binary with hardenedRuntime: true and gives audio-input only to the main app
//   (app-entitlements.plist).
// - What tccd checks: its hardened-runtime prompting policy names the *responsible* process. microsoft/live-share#3254
//   (2020): "requires entitlement com.apple.security.device.audio-input but it is missing for RESP:{com.microsoft.VSCode
//   …}, ACC:{… Electron Helper}": VS Code's main app lacked it then; VS Code then added it to app-entitlements.plist
//   (microsoft/vscode#103509, #95062) and sign.ts sets NSMicrophoneUsageDescription ("An application in Visual Studio
//   Code wants to use the Microphone."). kizuna-ai-lab/sokuji#460: app and helpers hardened without audio-input,
//   refused from Finder, yet "From a terminal it worked, because TCC attributes the request to the already-granted
//   Terminal": a hardened accessing process without the entitlement is let through when its responsible process may be
//   asked. adoptium/temurin-build#1720's log names only ACC (java was its own responsible process), so it does not show
//   the opposite.
// - What VS Code itself does: ms-vscode.vscode-speech opens the microphone inside the extension host, i.e. the Plugin
//   helper (microsoft/node-speech src/main.cc: AudioConfig::FromDefaultMicrophoneInput() in the addon's worker), and on
//   macOS it prompted (VS Code's test issue "Voice requests mic access on macOS", vscodenpa/testissues#39642,
//   2024-02-20) and transcribed (microsoft/vscode#205794, macOS 14.3: "recognizing: Start"). VS Code's built-in
//   dictation (2026) records with getUserMedia in the workbench (microsoft/vscode#329074), i.e. Chromium's audio
//   capture under the main app, which has audio-input.
// - Conclusion: the reading does not confirm P2. In-process capture in the daemon is most likely granted as "Visual
//   Studio Code" (or as the terminal VS Code was started from). This recorder exists so the microphone can be asked
//   for by name as "Earshot" (NSMicrophoneUsageDescription in this bundle, an app with no hardened runtime and no
//   entitlements, its own responsible process), independent of VS Code's entitlements and of how VS Code was started;
//   the one-line check on a Mac (README, "Not verified without a Mac") settles which one macOS uses.
//
// Bump RECORDER_VERSION with every change to this file: it goes into the bundle's Info.plist, and the release checks
// that the signed bundle's code directory hash changes only when audiotee's version or this one does (a new hash
// loses the user's grant, review 3 P1).
#define RECORDER_VERSION "1.0.2"

#include "RtAudio.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string>
#include <vector>

#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__APPLE__)
#include <mach-o/dyld.h>
#endif

extern char **environ;

namespace {

// ---- JSON lines on stderr, audiotee's envelope (Logger.swift:23-29, MessageType.swift:17-26 at 71b0c45) ----

std::string jsonString(const std::string &s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') { out += '\\'; out += static_cast<char>(c); }
    else if (c < 0x20 || c == 0x7f) { char buf[8]; std::snprintf(buf, sizeof buf, "\\u%04x", c); out += buf; }
    else out += static_cast<char>(c);
  }
  return out + "\"";
}

std::string timestamp() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::time_t secs = system_clock::to_time_t(now);
  const long millis = static_cast<long>(duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
  return buf;
}

std::mutex stderrMutex;

/** One line {"timestamp","message_type","data"}; `data` is a JSON object's text, or empty for none. */
void emit(const char *type, const std::string &data = "") {
  std::string line = "{\"timestamp\":" + jsonString(timestamp()) + ",\"message_type\":" + jsonString(type);
  if (!data.empty()) line += ",\"data\":" + data;
  line += "}\n";
  std::lock_guard<std::mutex> lock(stderrMutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

/** audiotee's LogData (MessageType.swift:36-38): {message, context?} with string values. */
void log(const char *type, const std::string &message, const std::vector<std::pair<std::string, std::string>> &context = {}) {
  std::string data = "{\"message\":" + jsonString(message);
  if (!context.empty()) {
    data += ",\"context\":{";
    for (size_t i = 0; i < context.size(); i++) data += (i ? "," : "") + jsonString(context[i].first) + ":" + jsonString(context[i].second);
    data += "}";
  }
  emit(type, data + "}");
}

// ---- Signals ----

std::atomic<int> stopSignal{0};
/** How much audio may wait for a reader that has stopped reading before the oldest is dropped. */
constexpr unsigned MAX_QUEUED_SECONDS = 5;
volatile sig_atomic_t childPid = 0;
volatile sig_atomic_t pendingSignal = 0;

void onStopSignal(int sig) { stopSignal.store(sig); }

void onForwardSignal(int sig) {
  if (childPid > 0) kill(static_cast<pid_t>(childPid), sig);
  else pendingSignal = sig;
}

void handle(int sig, void (*handler)(int)) {
  struct sigaction action{};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  sigaction(sig, &action, nullptr);
}

// ---- Resampling: a streaming polyphase windowed-sinc filter, as daemon/capture/resample.ts does it ----

class Resampler {
 public:
  Resampler(unsigned inputRate, unsigned outputRate) : identity_(inputRate == outputRate) {
    unsigned a = inputRate, b = outputRate;
    while (b) { const unsigned t = a % b; a = b; b = t; }
    step_ = inputRate / a;
    phases_ = outputRate / a;
    const double scale = std::min(1.0, static_cast<double>(outputRate) / inputRate);  // cutoff vs the input's Nyquist
    const int halfWidth = static_cast<int>(std::ceil(kZeroCrossings / scale));
    taps_ = 2 * halfWidth;
    filter_.assign(static_cast<size_t>(phases_) * taps_, 0.0f);
    for (unsigned phase = 0; phase < phases_; phase++) {
      const double frac = static_cast<double>(phase) / phases_;
      double sum = 0;
      for (int k = 0; k < taps_; k++) {
        const double t = k - halfWidth + 1 - frac;  // distance in input samples from the output instant
        const double x = t * scale * kCutoff;
        const double sinc = x == 0 ? 1 : std::sin(M_PI * x) / (M_PI * x);
        const double w = std::fabs(t) < halfWidth ? blackman(t / halfWidth) : 0;
        filter_[phase * taps_ + k] = static_cast<float>(sinc * w);
        sum += sinc * w;
      }
      for (int k = 0; k < taps_; k++) filter_[phase * taps_ + k] = static_cast<float>(filter_[phase * taps_ + k] / sum);
    }
    pending_.assign(static_cast<size_t>(halfWidth - 1), 0.0f);  // the first output falls on input sample 0
  }

  /** Appends the output samples that `input` completes to `out`. */
  void push(const float *input, size_t count, std::vector<float> &out) {
    if (identity_) { out.insert(out.end(), input, input + count); return; }
    pending_.insert(pending_.end(), input, input + count);
    const long available = static_cast<long>(pending_.size()) - taps_ + 1;
    if (available <= 0) return;
    unsigned long pos = position_;
    while (pos / phases_ < static_cast<unsigned long>(available)) {
      const size_t i = pos / phases_;
      const float *f = &filter_[(pos - i * phases_) * taps_];
      double acc = 0;
      for (int k = 0; k < taps_; k++) acc += pending_[i + k] * f[k];
      out.push_back(static_cast<float>(acc));
      pos += step_;
    }
    const size_t consumed = pos / phases_;
    position_ = pos - consumed * phases_;
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<long>(consumed));
  }

 private:
  static constexpr double kZeroCrossings = 16;
  static constexpr double kCutoff = 0.92;
  static double blackman(double x) { return 0.42 + 0.5 * std::cos(M_PI * x) + 0.08 * std::cos(2 * M_PI * x); }
  bool identity_;
  unsigned step_ = 1, phases_ = 1;
  int taps_ = 0;
  std::vector<float> filter_, pending_;
  unsigned long position_ = 0;
};

// ---- devices ----

std::string join(const std::vector<unsigned int> &values) {
  std::string out;
  for (size_t i = 0; i < values.size(); i++) out += (i ? "," : "") + std::to_string(values[i]);
  return out;
}

/** RtAudio's errors and warnings as log lines (the error callback also hears other objects' warnings). */
RtAudioErrorCallback logRtAudio() {
  return [](RtAudioErrorType type, const std::string &text) { log(type == RTAUDIO_WARNING ? "info" : "error", text); };
}

int listDevices() {
  RtAudio audio(RtAudio::UNSPECIFIED, logRtAudio());
  std::string out = "{\"devices\":[";
  bool first = true;
  for (unsigned int id : audio.getDeviceIds()) {
    const RtAudio::DeviceInfo info = audio.getDeviceInfo(id);
    if (info.inputChannels == 0) continue;
    out += (first ? "" : ",");
    first = false;
    out += "{\"id\":" + std::to_string(info.ID) + ",\"name\":" + jsonString(info.name) +
           ",\"inputChannels\":" + std::to_string(info.inputChannels) +
           ",\"isDefaultInput\":" + (info.isDefaultInput ? "true" : "false") + ",\"sampleRates\":[" +
           join(info.sampleRates) + "],\"preferredSampleRate\":" + std::to_string(info.preferredSampleRate) + "}";
  }
  out += "]}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

// ---- microphone ----

struct Capture {
  unsigned channels = 1;
  Resampler *resampler = nullptr;
  std::mutex mutex;
  std::condition_variable ready;
  std::vector<int16_t> queued;  // converted audio the main thread has not written yet
  size_t maxQueued = 0;         // at most this many samples wait: a reader that stops reading loses the oldest
  std::atomic<size_t> dropped{0};
  std::vector<float> mono, resampled;
  std::atomic<bool> failed{false};
};

/** RtAudio's input callback (its audio thread): downmix, resample, convert, queue; stdout is written elsewhere. */
int onInput(void *, void *input, unsigned int frames, double, RtAudioStreamStatus, void *user) {
  Capture &c = *static_cast<Capture *>(user);
  const float *in = static_cast<const float *>(input);
  c.mono.resize(frames);
  for (unsigned n = 0; n < frames; n++) {
    float sum = 0;
    for (unsigned ch = 0; ch < c.channels; ch++) sum += in[n * c.channels + ch];
    c.mono[n] = sum / static_cast<float>(c.channels);
  }
  c.resampled.clear();
  c.resampler->push(c.mono.data(), frames, c.resampled);
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    for (float v : c.resampled) c.queued.push_back(static_cast<int16_t>(std::lround(std::max(-1.0f, std::min(1.0f, v)) * 32767.0f)));
    if (c.maxQueued > 0 && c.queued.size() > c.maxQueued) {
      const size_t excess = c.queued.size() - c.maxQueued;
      c.queued.erase(c.queued.begin(), c.queued.begin() + static_cast<std::ptrdiff_t>(excess));
      c.dropped.fetch_add(excess);
    }
  }
  c.ready.notify_one();
  return 0;
}

bool parseNumber(const char *text, double &out) {
  char *end = nullptr;
  errno = 0;
  out = std::strtod(text, &end);
  return errno == 0 && end != text && *end == '\0' && std::isfinite(out) && out > 0;
}

int usage(const std::string &why) {
  log("error", why, {{"usage", "earshot-capture devices | microphone [--device ID|default] [--sample-rate N] [--chunk-duration S] [--device-sample-rate N] | system <audiotee args>"}});
  return 2;
}

int recordMicrophone(int argc, char **argv) {
  std::string device = "default";
  double rate = 16000, chunk = 0.02, forcedDeviceRate = 0;
  for (int i = 0; i < argc; i++) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return usage("missing value after " + arg);
    if (arg == "--device") device = argv[++i];
    else if (arg == "--sample-rate") { if (!parseNumber(argv[++i], rate) || rate != std::floor(rate) || rate > 384000) return usage(std::string("bad --sample-rate ") + argv[i]); }
    else if (arg == "--device-sample-rate") { if (!parseNumber(argv[++i], forcedDeviceRate) || forcedDeviceRate != std::floor(forcedDeviceRate) || forcedDeviceRate > 384000) return usage(std::string("bad --device-sample-rate ") + argv[i]); }
    else if (arg == "--chunk-duration") { if (!parseNumber(argv[++i], chunk) || chunk > 1) return usage(std::string("bad --chunk-duration ") + argv[i]); }
    else return usage("unknown option " + arg);
  }
  const unsigned outputRate = static_cast<unsigned>(rate);

  // Errors from opening are reported once, with their text, by the open below; later ones end the stream.
  std::string lastError;
  Capture capture;
  RtAudio audio(RtAudio::UNSPECIFIED, [&lastError, &capture](RtAudioErrorType type, const std::string &text) {
    if (type == RTAUDIO_WARNING) { log("info", text); return; }
    {
      std::lock_guard<std::mutex> lock(capture.mutex);  // a stream's errors come from its own thread
      lastError = text;
    }
    capture.failed.store(true);
    capture.ready.notify_one();
  });
  const auto errorText = [&lastError, &capture] {
    std::lock_guard<std::mutex> lock(capture.mutex);
    return lastError;
  };

  unsigned int id = 0;
  if (device == "default") id = audio.getDefaultInputDevice();
  else {
    char *end = nullptr;
    const unsigned long parsed = std::strtoul(device.c_str(), &end, 10);
    if (end == device.c_str() || *end != '\0' || parsed == 0 || parsed > UINT_MAX) return usage("bad --device " + device + " (an id from `earshot-capture devices`, or default)");
    id = static_cast<unsigned int>(parsed);
  }
  const std::vector<unsigned int> ids = audio.getDeviceIds();
  if (id == 0 || std::find(ids.begin(), ids.end(), id) == ids.end()) {
    log("error", device == "default" ? "No input device" : "No such input device", {{"device", device}});
    return 2;
  }
  const RtAudio::DeviceInfo info = audio.getDeviceInfo(id);
  if (info.inputChannels == 0) {
    log("error", "Not an input device", {{"device", device}, {"name", info.name}});
    return 2;
  }

  // The rate the device is opened at. PulseAudio converts any rate itself. RtAudio's CoreAudio backend sets the
  // device's nominal rate to the one asked for (RtAudio.cpp RtApiCore::probeDeviceOpen, "Check and if necessary,
  // change the sample rate for the device"), which would switch the microphone of every other app (the call) too: so
  // there it is opened at the rate it runs at now (else its preferred one) and resampled here, as the audify helper
  // chooses (daemon/capture/audifyHelper.ts, the plan's sampleRate).
#if defined(__LINUX_PULSE__)
  unsigned deviceRate = outputRate;
#else
  const bool currentListed = std::find(info.sampleRates.begin(), info.sampleRates.end(), info.currentSampleRate) != info.sampleRates.end();
  unsigned deviceRate = info.currentSampleRate && currentListed ? info.currentSampleRate : info.preferredSampleRate ? info.preferredSampleRate : 48000;
#endif
  if (forcedDeviceRate > 0) deviceRate = static_cast<unsigned>(forcedDeviceRate);
  capture.channels = std::min(info.inputChannels, 2u);
  RtAudio::StreamParameters input;
  input.deviceId = id;
  input.nChannels = capture.channels;
  input.firstChannel = 0;
  unsigned int frames = std::max(16u, static_cast<unsigned>(std::lround(deviceRate * chunk)));
  if (audio.openStream(nullptr, &input, RTAUDIO_FLOAT32, deviceRate, &frames, &onInput, &capture) != RTAUDIO_NO_ERROR) {
    log("error", "Cannot open the input device", {{"device", device}, {"name", info.name}, {"error", errorText()}});
    return 2;
  }
  deviceRate = audio.getStreamSampleRate();
  Resampler resampler(deviceRate, outputRate);
  capture.resampler = &resampler;
  capture.maxQueued = static_cast<size_t>(outputRate) * MAX_QUEUED_SECONDS;
  capture.failed.store(false);

  // audiotee's metadata (AudioStreamMetadata.swift:13-22): the stream on stdout; then the device's own format.
  emit("metadata", "{\"sample_rate\":" + std::to_string(outputRate) + ",\"channels_per_frame\":1,\"bits_per_channel\":16,"
                   "\"is_float\":false,\"capture_mode\":\"audio\",\"encoding\":\"pcm_s16le\",\"device_id\":" + std::to_string(id) +
                   ",\"device_name\":" + jsonString(info.name) + ",\"device_sample_rate\":" + std::to_string(deviceRate) +
                   ",\"device_channels\":" + std::to_string(capture.channels) + "}");
  if (audio.startStream() != RTAUDIO_NO_ERROR) {
    log("error", "Cannot start the input stream", {{"device", device}, {"name", info.name}, {"error", errorText()}});
    return 2;
  }
  emit("stream_start");

  int status = 0;
  std::vector<int16_t> writing;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(capture.mutex);
      capture.ready.wait_for(lock, std::chrono::milliseconds(100), [&] { return !capture.queued.empty() || capture.failed.load(); });
      writing.swap(capture.queued);
    }
    if (!writing.empty()) {
      // Little-endian samples: every Mac and Linux machine this runs on is little-endian (arm64, x86_64).
      const char *bytes = reinterpret_cast<const char *>(writing.data());
      size_t left = writing.size() * sizeof(int16_t);
      // A reader that stops reading must not hold a stop up: wait for room with poll(), at most 100 ms at a time,
      // and write no more than PIPE_BUF, which a pipe that polls writable takes without blocking (poll(2), write(2)).
      while (left > 0 && !stopSignal.load()) {
        pollfd out{STDOUT_FILENO, POLLOUT, 0};
        const int ready = poll(&out, 1, 100);
        if (ready < 0 && errno != EINTR) { status = 1; break; }
        if (ready <= 0) continue;
        const ssize_t wrote = write(STDOUT_FILENO, bytes, std::min<size_t>(left, PIPE_BUF));
        if (wrote < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (wrote < 0) { status = errno == EPIPE ? 141 : 1; break; }
        bytes += wrote;
        left -= static_cast<size_t>(wrote);
      }
      writing.clear();
      if (status) break;
    }
    if (const size_t dropped = capture.dropped.exchange(0)) {
      log("info", "The reader fell behind: the oldest audio was dropped", {{"samples", std::to_string(dropped)}});
    }
    if (capture.failed.load()) {
      log("error", "The input stream failed", {{"device", device}, {"name", info.name}, {"error", errorText()}});
      status = 3;
      break;
    }
    if (const int sig = stopSignal.load()) {
      log("info", std::string("Received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", stopping");
      break;
    }
  }
  if (audio.isStreamRunning()) audio.stopStream();
  if (audio.isStreamOpen()) audio.closeStream();
  if (status != 141) emit("stream_stop");
  return status;
}

// ---- system ----

std::string executableDirectory() {
#if defined(__APPLE__)
  uint32_t size = 0;
  _NSGetExecutablePath(nullptr, &size);
  std::string path(size, '\0');
  if (_NSGetExecutablePath(&path[0], &size) != 0) return "";
  path.resize(std::strlen(path.c_str()));
#else
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string path(buf, static_cast<size_t>(n));
#endif
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

int runAudiotee(int argc, char **argv) {
  const std::string audiotee = executableDirectory() + "/audiotee";
  std::vector<char *> args{const_cast<char *>(audiotee.c_str())};
  for (int i = 0; i < argc; i++) args.push_back(argv[i]);
  args.push_back(nullptr);

  handle(SIGTERM, onForwardSignal);
  handle(SIGINT, onForwardSignal);
  // audiotee gets the default actions whatever this process was started with: it ends by SIGPIPE when its reader is
  // gone (BinaryOutputHandler.swift:7 at a311cc5) and handles SIGINT/SIGTERM itself (AudioTee.swift:157-166).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults, none;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = 0;
  const int err = posix_spawn(&pid, audiotee.c_str(), nullptr, &attr, args.data(), environ);
  posix_spawnattr_destroy(&attr);
  if (err != 0) {
    log("error", "Cannot start audiotee", {{"path", audiotee}, {"error", std::strerror(err)}});
    return 127;
  }
  childPid = pid;
  if (pendingSignal) kill(pid, pendingSignal);  // a signal that came while it was being started

  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) { log("error", "Lost audiotee", {{"error", std::strerror(errno)}}); return 1; }
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  const int sig = WTERMSIG(status);
  signal(sig, SIG_DFL);
  raise(sig);  // end as audiotee ended, so that whoever waits sees the same signal
  return 128 + sig;
}

}  // namespace

int main(int argc, char **argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "--version") { std::printf("%s\n", RECORDER_VERSION); return 0; }
  // Its own process group, which audiotee joins (posix_spawn keeps the group): the daemon ends the app with one
  // kill(-pid), audiotee included, also when it must SIGKILL an app still in its tap setup (daemon/capture/
  // macCaptureApp.ts). An EPERM means it leads a session already, and so its group too (setpgid(2)).
  setpgid(0, 0);
  if (command == "devices") return listDevices();
  if (command == "system") return runAudiotee(argc - 2, argv + 2);
  if (command.rfind("--", 0) == 0) return runAudiotee(argc - 1, argv + 1);
  if (command == "microphone") {
    handle(SIGTERM, onStopSignal);
    handle(SIGINT, onStopSignal);
    signal(SIGPIPE, SIG_IGN);  // a reader gone is EPIPE from write(), handled there
    return recordMicrophone(argc - 2, argv + 2);
  }
  return usage(command.empty() ? "no command" : "unknown command " + command);
}
