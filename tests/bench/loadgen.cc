// Request generator of scripts/loadtest.sh: writes pre-signed OpenPhone webhooks for
// wrk (tests/bench/loadtest.lua) so that every request wrk sends carries a unique
// event id and a valid legacy signature, and the server does real work (verify,
// parse, store, evaluate) for each one instead of answering "duplicate".
//
//   switchboard_loadgen --key BASE64 --count N --out PREFIX [--shards S] [--tag T]
//                       [--contacts C]
//
// Writes S files PREFIX.0 ... PREFIX.<S-1> (one per wrk thread, requests dealt round
// robin), one request per line:
//
//   <openphone-signature header value> TAB <compact JSON body> LF
//
// Each body is a message.received event modelled on
// examples/events/message-received.json (~600 bytes): id "EV<tag><counter>",
// createdAt = now, the sender one of C contacts (so per-contact throttles of the
// shipped rules behave as with real traffic). Each signature is
// "hmac;1;<now ms>;<base64 HMAC-SHA256(key, ts.body)>", made with SignLegacy: it
// stays valid for the server's default 5-minute tolerance.
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "signature.h"

namespace {

using switchboard::server::ParseSigningKey;
using switchboard::server::SignLegacy;

void Usage() {
  std::cerr << "usage: switchboard_loadgen --key BASE64 --count N --out PREFIX [--shards S]"
               " [--tag T] [--contacts C]\n";
}

std::string IsoUtc(int64_t ms) {
  time_t seconds = static_cast<time_t>(ms / 1000);
  struct tm tm;
  gmtime_r(&seconds, &tm);
  char text[40];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  std::string key_text, out, tag = "LT";
  long long count = 0;
  int shards = 1;
  int contacts = 1000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        Usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--key") {
      key_text = next();
    } else if (a == "--count") {
      count = std::atoll(next().c_str());
    } else if (a == "--out") {
      out = next();
    } else if (a == "--shards") {
      shards = std::atoi(next().c_str());
    } else if (a == "--tag") {
      tag = next();
    } else if (a == "--contacts") {
      contacts = std::atoi(next().c_str());
    } else {
      Usage();
      return 2;
    }
  }
  if (key_text.empty() || out.empty() || count <= 0 || shards <= 0 || contacts <= 0) {
    Usage();
    return 2;
  }
  auto key = ParseSigningKey(key_text);
  if (!key.ok()) {
    std::cerr << "switchboard_loadgen: " << key.status().message() << "\n";
    return 2;
  }

  std::vector<FILE*> files;
  for (int s = 0; s < shards; ++s) {
    std::string path = out + "." + std::to_string(s);
    FILE* f = std::fopen(path.c_str(), "w");
    if (f == nullptr) {
      std::perror(path.c_str());
      return 1;
    }
    static std::vector<std::unique_ptr<char[]>> buffers;
    buffers.emplace_back(new char[1 << 20]);
    std::setvbuf(f, buffers.back().get(), _IOFBF, 1 << 20);
    files.push_back(f);
  }

  size_t total_body = 0;
  std::string body;
  body.reserve(1024);
  for (long long n = 0; n < count; ++n) {
    int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    std::string created = IsoUtc(now_ms);
    char id[64], message_id[64], from[32];
    std::snprintf(id, sizeof id, "EV%s%030llx", tag.c_str(), n);
    std::snprintf(message_id, sizeof message_id, "AC%s%030llx", tag.c_str(), n);
    std::snprintf(from, sizeof from, "+1555%07d", static_cast<int>(n % contacts) + 1000);
    body.clear();
    body += "{\"id\":\"";
    body += id;
    body += "\",\"object\":\"event\",\"apiVersion\":\"v4\",\"createdAt\":\"";
    body += created;
    body += "\",\"type\":\"message.received\",\"data\":{\"object\":{\"id\":\"";
    body += message_id;
    body += "\",\"object\":\"message\",\"from\":\"";
    body += from;
    body += "\",\"to\":[\"+15555550100\"],\"direction\":\"incoming\","
            "\"text\":\"Hi, can someone come look at a leaking pipe under my sink this week?\","
            "\"status\":\"received\",\"createdAt\":\"";
    body += created;
    body += "\",\"userId\":\"USa1b2c3d4e5\",\"phoneNumberId\":\"PNf4k3L1n3A\","
            "\"conversationId\":\"CN5e8a1c3b7d9f4a2e6c0b8d1f3a5e7c90\","
            "\"contactIds\":[\"6824dfb69aee85c132b7aa01\"]}}}";
    total_body += body.size();
    std::string signature = SignLegacy(*key, now_ms, body);
    FILE* f = files[static_cast<size_t>(n % shards)];
    std::fwrite(signature.data(), 1, signature.size(), f);
    std::fputc('\t', f);
    std::fwrite(body.data(), 1, body.size(), f);
    std::fputc('\n', f);
  }
  for (FILE* f : files) {
    if (std::fclose(f) != 0) {
      std::perror("fclose");
      return 1;
    }
  }
  std::cerr << "switchboard_loadgen: wrote " << count << " signed requests (avg body "
            << total_body / static_cast<size_t>(count) << " bytes) to " << out << ".0.."
            << shards - 1 << "\n";
  return 0;
}
