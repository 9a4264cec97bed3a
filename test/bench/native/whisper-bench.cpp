// earshot-whisper-bench: whisper.cpp's own C API, timed the way the Node benchmark times Earshot's engine.
//
// Built by scripts/build-whisper-cpp.sh against the same whisper.cpp objects as `main` (the sources bundled in
// smart-whisper, compiled with the addon's flags), or with --newest against the static libraries of the new core
// (scripts/whisper-core/build-core.js: the very objects the addon links). whisper.cpp's `main` example cannot be used for this figure: it
// has no max-tokens option (a generated --emit model never stops by itself), reloads the model per run and times
// the load with the decode.
//
//   earshot-whisper-bench --model M --pcm FILE.f32 [--threads 2] [--max-tokens N] [--language en]
//                         [--audio-ctx 0] [--fresh-state] [--flash-attn]
//
// FILE.f32 holds raw little-endian float32 16 kHz mono samples. The model is loaded once and warmed up with a
// 1.1 s silent decode (as WhisperEngine.load() does), then "ready {...}" is printed. Each line "run" on stdin
// runs one decode and prints one JSON line {"ms","tokens","text"}; end of input exits.
//
// Decode parameters are the ones daemon/asr/whisper.ts passes through smart-whisper (greedy, best_of 1,
// temperature 0 without fallback, no timestamps, single segment, suppress blank and non-speech tokens, an empty
// initial prompt, language given). --max-tokens is whisper.cpp's `max_tokens` (it emits max_tokens + 1 tokens).
// By default every run reuses the context's state, as `main` and `stream` do; --fresh-state allocates a new
// whisper_state per decode and frees it after, as smart-whisper's TranscribeWorker does.
//
// Built with -DEARSHOT_BACKEND_DL against the addon's own shared libraries (libwhisper.so.1, libggml.so.0 in
// node_modules/smart-whisper/build/Release), --backends DIR loads ggml's CPU modules from DIR as the addon does: the
// very machine code the engine runs, so that engine minus driver is the binding's own cost per call.
#include "whisper.h"
#ifdef EARSHOT_BACKEND_DL
#include "ggml-backend.h"
#endif

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

static void quiet_log(enum ggml_log_level, const char *, void *) {}

static std::string json_escape(const std::string & s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\') { out += '\\'; out += c; }
        else if ((unsigned char) c < 0x20) { char buf[8]; snprintf(buf, sizeof buf, "\\u%04x", c); out += buf; }
        else out += c;
    }
    return out;
}

int main(int argc, char ** argv) {
    std::string model, pcm_path, language = "en", backends_dir;
    int threads = 2, max_tokens = 0, audio_ctx = 0;
    bool fresh_state = false, flash_attn = false;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) { fprintf(stderr, "missing value for %s\n", a.c_str()); exit(2); }
            return argv[++i];
        };
        if (a == "--model") model = next();
        else if (a == "--pcm") pcm_path = next();
        else if (a == "--threads") threads = std::stoi(next());
        else if (a == "--max-tokens") max_tokens = std::stoi(next());
        else if (a == "--language") language = next();
        else if (a == "--audio-ctx") audio_ctx = std::stoi(next());
        else if (a == "--fresh-state") fresh_state = true;
        else if (a == "--flash-attn") flash_attn = true;
        else if (a == "--backends") backends_dir = next();
        else { fprintf(stderr, "unknown argument %s\n", a.c_str()); return 2; }
    }
    if (model.empty() || pcm_path.empty()) { fprintf(stderr, "usage: earshot-whisper-bench --model M --pcm FILE.f32 [options]\n"); return 2; }

    std::vector<float> pcm;
    {
        FILE * f = fopen(pcm_path.c_str(), "rb");
        if (!f) { fprintf(stderr, "cannot open %s\n", pcm_path.c_str()); return 1; }
        float buf[4096];
        size_t n;
        while ((n = fread(buf, sizeof(float), 4096, f)) > 0) pcm.insert(pcm.end(), buf, buf + n);
        fclose(f);
    }

    whisper_log_set(quiet_log, nullptr);
    if (!backends_dir.empty()) {
#ifdef EARSHOT_BACKEND_DL
        ggml_backend_load_all_from_path(backends_dir.c_str());
#else
        fprintf(stderr, "--backends needs a build with -DEARSHOT_BACKEND_DL\n");
        return 2;
#endif
    }
    const auto t_load = std::chrono::steady_clock::now();
    whisper_context_params cparams = whisper_context_default_params();
    cparams.use_gpu = false;
    cparams.flash_attn = flash_attn;
    whisper_context * ctx = fresh_state
        ? whisper_init_from_file_with_params_no_state(model.c_str(), cparams)
        : whisper_init_from_file_with_params(model.c_str(), cparams);
    if (!ctx) { fprintf(stderr, "cannot load %s\n", model.c_str()); return 1; }

    auto params_for = [&](int tokens) {
        whisper_full_params p = whisper_full_default_params(WHISPER_SAMPLING_BEAM_SEARCH);
        p.strategy = WHISPER_SAMPLING_GREEDY;
        p.n_threads = threads;
        p.greedy.best_of = 1;
        p.temperature = 0.0f;
        p.temperature_inc = 0.0f;
        p.no_timestamps = true;
        p.single_segment = true;
        p.max_tokens = tokens;
        p.audio_ctx = audio_ctx;
        p.initial_prompt = "";
        p.language = language.c_str();
        p.suppress_blank = true;
#ifdef EARSHOT_WHISPER_SUPPRESS_NST
        p.suppress_nst = true; // the name since whisper.cpp 1.7.3
#else
        p.suppress_non_speech_tokens = true;
#endif
        p.print_progress = false;
        p.print_realtime = false;
        p.print_timestamps = false;
        p.print_special = false;
        return p;
    };

    // Returns milliseconds; fills tokens and text.
    auto decode = [&](const std::vector<float> & audio, int tokens_cap, int & n_tokens, std::string & text) -> double {
        const auto t0 = std::chrono::steady_clock::now();
        whisper_full_params p = params_for(tokens_cap);
        int rc;
        n_tokens = 0;
        text.clear();
        if (fresh_state) {
            whisper_state * st = whisper_init_state(ctx);
            rc = whisper_full_with_state(ctx, st, p, audio.data(), (int) audio.size());
            for (int s = 0; rc == 0 && s < whisper_full_n_segments_from_state(st); s++) {
                text += whisper_full_get_segment_text_from_state(st, s);
                for (int k = 0; k < whisper_full_n_tokens_from_state(st, s); k++) {
                    if (whisper_full_get_token_id_from_state(st, s, k) < whisper_token_eot(ctx)) n_tokens++;
                }
            }
            whisper_free_state(st);
        } else {
            rc = whisper_full(ctx, p, audio.data(), (int) audio.size());
            for (int s = 0; rc == 0 && s < whisper_full_n_segments(ctx); s++) {
                text += whisper_full_get_segment_text(ctx, s);
                for (int k = 0; k < whisper_full_n_tokens(ctx, s); k++) {
                    if (whisper_full_get_token_id(ctx, s, k) < whisper_token_eot(ctx)) n_tokens++;
                }
            }
        }
        if (rc != 0) { fprintf(stderr, "whisper_full failed (%d)\n", rc); exit(1); }
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    };

    int n_tokens;
    std::string text;
    decode(std::vector<float>(WHISPER_SAMPLE_RATE * 11 / 10, 0.0f), 1, n_tokens, text); // the engine's warm-up
    const double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t_load).count();
    printf("ready {\"loadMs\":%.1f,\"samples\":%zu,\"system\":\"%s\"}\n", load_ms, pcm.size(), json_escape(whisper_print_system_info()).c_str());
    fflush(stdout);

    std::string line;
    while (std::getline(std::cin, line)) {
        if (line != "run") continue;
        const double ms = decode(pcm, max_tokens, n_tokens, text);
        printf("{\"ms\":%.3f,\"tokens\":%d,\"text\":\"%s\"}\n", ms, n_tokens, json_escape(text.substr(0, 120)).c_str());
        fflush(stdout);
    }
    whisper_free(ctx);
    return 0;
}
