#include "signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>

namespace switchboard {
namespace server {

namespace {

// Bounds on attacker-controlled input: the work done per request stays small
// whatever the headers hold.
constexpr size_t kMaxEntries = 10;
constexpr size_t kMaxHeaderLength = 4096;
constexpr size_t kMaxWebhookIdLength = 256;
constexpr size_t kMacSize = 32;

using Mac = std::array<unsigned char, kMacSize>;

std::string_view Trim(std::string_view s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

const char kBase64Chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64Encode(const unsigned char* data, size_t n) {
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < n; i += 3) {
    uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    out += kBase64Chars[(v >> 18) & 63];
    out += kBase64Chars[(v >> 12) & 63];
    out += kBase64Chars[(v >> 6) & 63];
    out += kBase64Chars[v & 63];
  }
  if (i + 1 == n) {
    uint32_t v = uint32_t{data[i]} << 16;
    out += kBase64Chars[(v >> 18) & 63];
    out += kBase64Chars[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == n) {
    uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8);
    out += kBase64Chars[(v >> 18) & 63];
    out += kBase64Chars[(v >> 12) & 63];
    out += kBase64Chars[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;  // the URL-safe alphabet is accepted too
  if (c == '/' || c == '_') return 63;
  return -1;
}

// Strict about characters, lenient about missing padding.
bool Base64Decode(std::string_view in, std::string* out) {
  size_t padding = 0;
  while (!in.empty() && in.back() == '=' && padding < 2) {
    in.remove_suffix(1);
    ++padding;
  }
  if (padding > 0 && (in.size() + padding) % 4 != 0) return false;
  if (in.size() % 4 == 1) return false;
  out->clear();
  out->reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = Base64Value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return true;
}

// SHA-256, looked up once: OpenSSL 3 otherwise fetches the implementation from its
// provider store, under a lock, on every digest (EVP_DigestSignInit with an HMAC
// key cost about 6 us a call, and contended across request threads).
const EVP_MD* Sha256() {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
  static const EVP_MD* const md = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
  }();
  return md;
#else
  return EVP_sha256();
#endif
}

// HMAC-SHA256(key, prefix + body) (RFC 2104) without copying the body:
// H((K ^ opad) || H((K ^ ipad) || prefix || body)), K the key padded to the
// 64-byte block (hashed first when longer). Each thread reuses one digest context.
bool HmacSha256(const std::string& key, std::string_view prefix, std::string_view body, Mac* out) {
  constexpr size_t kBlock = 64;
  const EVP_MD* md = Sha256();
  thread_local std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                          &EVP_MD_CTX_free);
  if (!ctx) return false;
  unsigned char block[kBlock] = {};
  unsigned int n = 0;
  if (key.size() > kBlock) {
    if (EVP_Digest(key.data(), key.size(), block, &n, md, nullptr) != 1) return false;
  } else {
    std::copy(key.begin(), key.end(), block);
  }
  unsigned char pad[kBlock];
  for (size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x36;
  unsigned char inner[kMacSize];
  bool ok = EVP_DigestInit_ex(ctx.get(), md, nullptr) == 1 &&
            EVP_DigestUpdate(ctx.get(), pad, kBlock) == 1 &&
            EVP_DigestUpdate(ctx.get(), prefix.data(), prefix.size()) == 1 &&
            EVP_DigestUpdate(ctx.get(), body.data(), body.size()) == 1 &&
            EVP_DigestFinal_ex(ctx.get(), inner, &n) == 1 && n == kMacSize;
  for (size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x5c;
  ok = ok && EVP_DigestInit_ex(ctx.get(), md, nullptr) == 1 &&
       EVP_DigestUpdate(ctx.get(), pad, kBlock) == 1 &&
       EVP_DigestUpdate(ctx.get(), inner, kMacSize) == 1 &&
       EVP_DigestFinal_ex(ctx.get(), out->data(), &n) == 1 && n == kMacSize;
  OPENSSL_cleanse(block, sizeof block);
  OPENSSL_cleanse(pad, sizeof pad);
  return ok;
}

std::string MacBase64(const SigningKey& key, std::string_view prefix, std::string_view body) {
  Mac mac{};
  if (!HmacSha256(key.bytes, prefix, body, &mac)) return {};
  return Base64Encode(mac.data(), mac.size());
}

// A decimal timestamp of 1 to `max_digits` digits, nothing else.
bool ParseTimestamp(std::string_view s, size_t max_digits, int64_t* out) {
  if (s.empty() || s.size() > max_digits) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

bool WithinTolerance(int64_t ts_ms, int64_t now_ms, int64_t tolerance_ms) {
  // Unsigned subtraction gives |ts - now| without overflow for any int64 pair.
  uint64_t diff =
      ts_ms >= now_ms ? uint64_t(ts_ms) - uint64_t(now_ms) : uint64_t(now_ms) - uint64_t(ts_ms);
  return tolerance_ms >= 0 && diff <= uint64_t(tolerance_ms);
}

bool DecodeMac(std::string_view text, Mac* out) {
  std::string bytes;
  if (!Base64Decode(text, &bytes) || bytes.size() != kMacSize) return false;
  std::copy(bytes.begin(), bytes.end(), out->begin());
  return true;
}

// True when any key's MAC over prefix + body equals one of `sigs`.
bool AnyMatches(const std::vector<SigningKey>& keys, std::string_view prefix, std::string_view body,
                const std::vector<Mac>& sigs) {
  for (const SigningKey& key : keys) {
    Mac mac{};
    if (!HmacSha256(key.bytes, prefix, body, &mac)) continue;
    for (const Mac& sig : sigs) {
      if (CRYPTO_memcmp(mac.data(), sig.data(), kMacSize) == 0) return true;
    }
  }
  return false;
}

std::string StaleReason(const char* header, int64_t ts_ms, int64_t now_ms, int64_t tolerance_ms) {
  char buf[160];
  double skew = (static_cast<double>(ts_ms) - static_cast<double>(now_ms)) / 1000.0;
  std::snprintf(buf, sizeof buf, "%s: timestamp is %.0f s %s the server clock (tolerance %lld s)",
                header, skew < 0 ? -skew : skew, skew < 0 ? "behind" : "ahead of",
                static_cast<long long>(tolerance_ms / 1000));
  return buf;
}

struct Outcome {
  Verdict verdict;
  std::string reason;
};

std::string NoMatchReason(const char* header, size_t keys) {
  if (keys == 0) return std::string(header) + ": no signing key is configured";
  return std::string(header) + ": no signature matches " +
         (keys == 1 ? std::string("the signing key") : std::to_string(keys) + " signing keys");
}

Outcome VerifyLegacy(std::string_view header, std::string_view body,
                     const std::vector<SigningKey>& keys, int64_t now_ms, int64_t tolerance_ms) {
  const char* name = "openphone-signature";
  if (header.size() > kMaxHeaderLength) {
    return {Verdict::kMalformed, std::string(name) + ": longer than 4096 characters"};
  }
  struct Entry {
    std::string_view ts_text;
    int64_t ts_ms;
    Mac sig;
  };
  std::vector<Entry> entries;
  std::string problem;
  std::vector<std::string_view> items = Split(header, ',');
  if (items.size() > kMaxEntries) items.resize(kMaxEntries);
  for (std::string_view item : items) {
    std::vector<std::string_view> f = Split(Trim(item), ';');
    Entry e{};
    if (f.size() != 4) {
      problem = "expected hmac;1;<timestamp>;<signature>";
    } else if (f[0] != "hmac" || f[1] != "1") {
      problem = "unsupported scheme or version (expected hmac;1)";
    } else if (!ParseTimestamp(f[2], 15, &e.ts_ms)) {
      problem = "timestamp is not a number of milliseconds";
    } else if (!DecodeMac(f[3], &e.sig)) {
      problem = "signature is not base64 of 32 bytes";
    } else {
      e.ts_text = f[2];
      entries.push_back(e);
      continue;
    }
  }
  if (entries.empty()) return {Verdict::kMalformed, std::string(name) + ": " + problem};

  // Entries sharing a timestamp share one MAC computation per key.
  bool checked = false;
  const Entry* stale = nullptr;
  std::vector<bool> done(entries.size(), false);
  for (size_t i = 0; i < entries.size(); ++i) {
    if (done[i]) continue;
    if (!WithinTolerance(entries[i].ts_ms, now_ms, tolerance_ms)) {
      stale = &entries[i];
      continue;
    }
    std::vector<Mac> sigs;
    for (size_t j = i; j < entries.size(); ++j) {
      if (!done[j] && entries[j].ts_text == entries[i].ts_text) {
        sigs.push_back(entries[j].sig);
        done[j] = true;
      }
    }
    checked = true;
    std::string prefix = std::string(entries[i].ts_text) + ".";
    if (AnyMatches(keys, prefix, body, sigs)) return {Verdict::kOk, {}};
  }
  if (!checked && stale != nullptr) {
    return {Verdict::kStale, StaleReason(name, stale->ts_ms, now_ms, tolerance_ms)};
  }
  return {Verdict::kBadSignature, NoMatchReason(name, keys.size())};
}

Outcome VerifyStandard(std::string_view id, std::string_view ts_text, std::string_view header,
                       std::string_view body, const std::vector<SigningKey>& keys, int64_t now_ms,
                       int64_t tolerance_ms) {
  const char* name = "webhook-signature";
  if (id.empty() || ts_text.empty() || header.empty()) {
    return {Verdict::kMalformed,
            std::string(name) +
                ": webhook-id, webhook-timestamp and webhook-signature are all required"};
  }
  if (id.size() > kMaxWebhookIdLength) {
    return {Verdict::kMalformed, "webhook-id: longer than 256 characters"};
  }
  if (header.size() > kMaxHeaderLength) {
    return {Verdict::kMalformed, std::string(name) + ": longer than 4096 characters"};
  }
  int64_t ts_s = 0;
  if (!ParseTimestamp(ts_text, 12, &ts_s)) {
    return {Verdict::kMalformed, "webhook-timestamp: not a number of seconds"};
  }
  std::vector<Mac> sigs;
  std::string problem = "no v1 signature";
  size_t seen = 0;
  for (std::string_view token : Split(header, ' ')) {
    if (token.empty()) continue;
    if (++seen > kMaxEntries) break;
    size_t comma = token.find(',');
    if (comma == std::string_view::npos) {
      problem = "expected v1,<signature>";
      continue;
    }
    if (token.substr(0, comma) != "v1") continue;  // other schemes (e.g. v1a) are not ours
    Mac sig{};
    if (!DecodeMac(token.substr(comma + 1), &sig)) {
      problem = "signature is not base64 of 32 bytes";
      continue;
    }
    sigs.push_back(sig);
  }
  if (sigs.empty()) return {Verdict::kMalformed, std::string(name) + ": " + problem};
  int64_t ts_ms = ts_s * 1000;
  if (!WithinTolerance(ts_ms, now_ms, tolerance_ms)) {
    return {Verdict::kStale, StaleReason("webhook-timestamp", ts_ms, now_ms, tolerance_ms)};
  }
  std::string prefix;
  prefix.reserve(id.size() + ts_text.size() + 2);
  prefix.append(id).append(".").append(ts_text).append(".");
  if (AnyMatches(keys, prefix, body, sigs)) return {Verdict::kOk, {}};
  return {Verdict::kBadSignature, NoMatchReason(name, keys.size())};
}

// When both schemes fail, the more specific failure is reported.
int Rank(Verdict v) {
  switch (v) {
    case Verdict::kOk:
      return 4;
    case Verdict::kStale:
      return 3;
    case Verdict::kBadSignature:
      return 2;
    case Verdict::kMalformed:
      return 1;
    case Verdict::kMissing:
      return 0;
  }
  return 0;
}

}  // namespace

Result<SigningKey> ParseSigningKey(std::string_view text) {
  std::string_view t = Trim(text);
  if (t.empty()) return Status::InvalidArgument("signing key is empty");
  SigningKey key;
  const char* kind = "signing key";
  if (t.substr(0, 6) == "whsec_") {
    key.whsec = true;
    t.remove_prefix(6);
    kind = "whsec_ signing key";
  }
  if (!Base64Decode(t, &key.bytes)) {
    return Status::InvalidArgument(std::string(kind) + " is not valid base64 (" +
                                   std::to_string(t.size()) + " characters)");
  }
  if (key.bytes.empty()) return Status::InvalidArgument(std::string(kind) + " decodes to no bytes");
  return key;
}

std::string KeyFingerprint(const SigningKey& key) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.bytes.data()), key.bytes.size(), digest);
  char hex[9];
  std::snprintf(hex, sizeof hex, "%02x%02x%02x%02x", digest[0], digest[1], digest[2], digest[3]);
  return std::string(key.whsec ? "whsec:" : "legacy:") + hex;
}

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kOk:
      return "ok";
    case Verdict::kMissing:
      return "missing";
    case Verdict::kMalformed:
      return "malformed";
    case Verdict::kBadSignature:
      return "bad signature";
    case Verdict::kStale:
      return "stale";
  }
  return "unknown";
}

Verdict Verify(const SignatureHeaders& headers, std::string_view body,
               const std::vector<SigningKey>& keys, int64_t now_ms, int64_t tolerance_ms,
               std::string* reason) {
  std::string_view legacy = Trim(headers.openphone_signature);
  std::string_view id = Trim(headers.webhook_id);
  std::string_view ts = Trim(headers.webhook_timestamp);
  std::string_view sig = Trim(headers.webhook_signature);
  bool has_legacy = !legacy.empty();
  bool has_standard = !id.empty() || !ts.empty() || !sig.empty();
  if (!has_legacy && !has_standard) {
    if (reason) *reason = "no openphone-signature or webhook-signature header";
    return Verdict::kMissing;
  }
  Outcome best{Verdict::kMissing, {}};
  if (has_legacy) {
    best = VerifyLegacy(legacy, body, keys, now_ms, tolerance_ms);
    if (best.verdict == Verdict::kOk) return Verdict::kOk;
  }
  if (has_standard) {
    Outcome o = VerifyStandard(id, ts, sig, body, keys, now_ms, tolerance_ms);
    if (o.verdict == Verdict::kOk) return Verdict::kOk;
    if (Rank(o.verdict) > Rank(best.verdict)) best = std::move(o);
  }
  if (reason) *reason = best.reason;
  return best.verdict;
}

std::string SignLegacy(const SigningKey& key, int64_t ts_ms, std::string_view body) {
  std::string ts = std::to_string(ts_ms);
  return "hmac;1;" + ts + ";" + MacBase64(key, ts + ".", body);
}

std::string SignStandard(const SigningKey& key, std::string_view id, int64_t ts_s,
                         std::string_view body) {
  std::string prefix(id);
  prefix.append(".").append(std::to_string(ts_s)).append(".");
  return "v1," + MacBase64(key, prefix, body);
}

}  // namespace server
}  // namespace switchboard
