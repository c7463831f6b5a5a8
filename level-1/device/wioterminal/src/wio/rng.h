// Small deterministic PRNG for backoff jitter and the simulated sensor. Not for security.
#ifndef WIO_RNG_H
#define WIO_RNG_H

#include <stdint.h>

namespace wio {

// Marsaglia xorshift32. A zero state would stay zero forever, so it is replaced.
class XorShift32 {
 public:
  explicit XorShift32(uint32_t seed = 0x9E3779B9u) : state_(seed != 0 ? seed : 0x9E3779B9u) {}
  void seed(uint32_t s) { state_ = s != 0 ? s : 0x9E3779B9u; }
  uint32_t next() {
    uint32_t x = state_;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    state_ = x;
    return x;
  }
  // Uniform-ish in [0, n] inclusive (modulo bias is irrelevant for jitter).
  uint32_t upto(uint32_t n) { return n == 0xFFFFFFFFu ? next() : next() % (n + 1u); }
  // In [-1, 1].
  float symmetric() { return static_cast<float>(static_cast<int32_t>(next() >> 8) - 8388608) / 8388608.0f; }

 private:
  uint32_t state_;
};

// Mixes several weak entropy sources (chip serial number, timer, ADC noise) into one seed.
inline uint32_t mix_seed(uint32_t h, uint32_t v) {
  h ^= v + 0x9E3779B9u + (h << 6) + (h >> 2);
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  h ^= h >> 16;
  return h;
}

}  // namespace wio

#endif  // WIO_RNG_H
