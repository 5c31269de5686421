// fuzz_signature: server Verify on arbitrary headers and body, ParseSigningKey on
// arbitrary text, and a sign/verify round trip with every key that parses.
//
// Input: four lines -- openphone-signature, webhook-id, webhook-timestamp,
// webhook-signature -- then the body (the rest, after the fourth newline).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "signature.h"

namespace {

constexpr size_t kMaxInput = 16 * 1024;
// The time of the test vectors in /work/shared/openphone/signatures.md, so that
// their seeds verify.
constexpr int64_t kNowMs = 1767625445123;
constexpr int64_t kToleranceMs = 5 * 60 * 1000;

using switchboard::server::SigningKey;
using switchboard::server::Verdict;

std::vector<SigningKey> Keys() {
  std::vector<SigningKey> keys;
  for (const char* text : {"c3dpdGNoYm9hcmQtdGVzdC1rZXktMDAwMDAwMDAwMDE=",
                           "whsec_c3dpdGNoYm9hcmQtYmV0YS1zZWNyZXQtMzItYnl0ZXM=",
                           "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}) {
    auto key = switchboard::server::ParseSigningKey(text);
    if (!key.ok()) __builtin_trap();
    keys.push_back(*key);
  }
  return keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return 0;
  static const std::vector<SigningKey> keys = Keys();
  std::string_view in(reinterpret_cast<const char*>(data), size);

  std::string fields[4];
  for (std::string& field : fields) {
    size_t nl = in.find('\n');
    if (nl == std::string_view::npos) {
      field = std::string(in);
      in = {};
      break;
    }
    field = std::string(in.substr(0, nl));
    in.remove_prefix(nl + 1);
  }
  std::string_view body = in;

  switchboard::server::SignatureHeaders headers;
  headers.openphone_signature = fields[0];
  headers.webhook_id = fields[1];
  headers.webhook_timestamp = fields[2];
  headers.webhook_signature = fields[3];

  std::string reason;
  Verdict verdict = switchboard::server::Verify(headers, body, keys, kNowMs, kToleranceMs, &reason);
  (void)switchboard::server::VerdictName(verdict);
  // No key, no success.
  if (switchboard::server::Verify(headers, body, {}, kNowMs, kToleranceMs, nullptr) == Verdict::kOk) {
    __builtin_trap();
  }
  // Nothing present: kMissing.
  if (fields[0].empty() && fields[1].empty() && fields[2].empty() && fields[3].empty() &&
      verdict != Verdict::kMissing) {
    __builtin_trap();
  }

  // Each line as a secret; those that parse must sign what then verifies.
  for (const std::string& text : fields) {
    auto key = switchboard::server::ParseSigningKey(text);
    if (!key.ok()) {
      // The message never contains the secret (a long base64-looking one, so that
      // words of the message itself do not count).
      if (text.size() >= 16 &&
          text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                 "0123456789+/=_") == std::string::npos &&
          key.status().message().find(text) != std::string::npos) {
        __builtin_trap();
      }
      continue;
    }
    (void)switchboard::server::KeyFingerprint(*key);
    switchboard::server::SignatureHeaders legacy;
    legacy.openphone_signature = switchboard::server::SignLegacy(*key, kNowMs, body);
    if (switchboard::server::Verify(legacy, body, {*key}, kNowMs, kToleranceMs, nullptr) !=
        Verdict::kOk) {
      __builtin_trap();
    }
    switchboard::server::SignatureHeaders standard;
    standard.webhook_id = "msg_fuzz";
    standard.webhook_timestamp = std::to_string(kNowMs / 1000);
    standard.webhook_signature =
        switchboard::server::SignStandard(*key, standard.webhook_id, kNowMs / 1000, body);
    if (switchboard::server::Verify(standard, body, {*key}, kNowMs, kToleranceMs, nullptr) !=
        Verdict::kOk) {
      __builtin_trap();
    }
  }
  return 0;
}
