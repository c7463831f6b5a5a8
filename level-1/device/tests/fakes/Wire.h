// Compile-check fake of the SAMD core's TwoWire.
#ifndef FAKE_WIRE_H
#define FAKE_WIRE_H
#include "Arduino.h"
class TwoWire : public Stream {
 public:
  void begin();
  void beginTransmission(uint8_t address);
  uint8_t endTransmission(bool stopBit);
  uint8_t endTransmission(void);
  uint8_t requestFrom(uint8_t address, size_t quantity, bool stopBit);
  uint8_t requestFrom(uint8_t address, size_t quantity);
  size_t write(uint8_t data);
  size_t write(const uint8_t* data, size_t quantity);
  int available(void);
  int read(void);
  int peek(void);
};
extern TwoWire Wire;
#endif
