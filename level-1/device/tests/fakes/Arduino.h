// Compile-check fake of the Arduino SAMD core (Seeed Wio Terminal variant + CMSIS).
#ifndef FAKE_ARDUINO_H
#define FAKE_ARDUINO_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef bool boolean;
typedef uint8_t byte;

#define HIGH 0x1
#define LOW 0x0
#define INPUT 0x0
#define OUTPUT 0x1
#define INPUT_PULLUP 0x2

// Seeed Wio Terminal variant pins (values are irrelevant here).
#define D0 (0ul)
#define WIO_LIGHT (76ul)
#define WIO_KEY_A (28ul)
#define WIO_KEY_B (29ul)
#define WIO_KEY_C (30ul)
#define WIO_5S_UP (31ul)
#define WIO_5S_LEFT (32ul)
#define WIO_5S_RIGHT (33ul)
#define WIO_5S_DOWN (34ul)
#define WIO_5S_PRESS (35ul)
#define WIO_BUZZER (12ul)

uint32_t millis(void);
uint32_t micros(void);
void delay(uint32_t ms);
void pinMode(uint32_t pin, uint32_t mode);
void digitalWrite(uint32_t pin, uint32_t value);
int digitalRead(uint32_t pin);
int analogRead(uint32_t pin);
void analogWrite(uint32_t pin, int value);
void yield(void);

class Print;
class Printable {
 public:
  virtual ~Printable() {}
  virtual size_t printTo(Print& p) const = 0;
};

class Print {
 public:
  virtual ~Print() {}
  virtual size_t write(uint8_t) = 0;
  virtual size_t write(const uint8_t* buffer, size_t size);
  size_t print(const char[]);
  size_t print(char);
  size_t print(unsigned char, int = 10);
  size_t print(int, int = 10);
  size_t print(unsigned int, int = 10);
  size_t print(long, int = 10);
  size_t print(unsigned long, int = 10);
  size_t print(double, int = 2);
  size_t print(const Printable&);
  size_t println(const char[]);
  size_t println(char);
  size_t println(unsigned char, int = 10);
  size_t println(int, int = 10);
  size_t println(unsigned int, int = 10);
  size_t println(long, int = 10);
  size_t println(unsigned long, int = 10);
  size_t println(double, int = 2);
  size_t println(const Printable&);
  size_t println(void);
};

class Stream : public Print {
 public:
  virtual int available() = 0;
  virtual int read() = 0;
  virtual int peek() = 0;
};

class Serial_ : public Stream {
 public:
  void begin(uint32_t baud);
  size_t write(uint8_t);
  int available();
  int read();
  int peek();
  operator bool();
};
extern Serial_ Serial;

class IPAddress : public Printable {
 public:
  IPAddress();
  IPAddress(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
  size_t printTo(Print& p) const;
};

class Client : public Stream {
 public:
  virtual int connect(IPAddress ip, uint16_t port) = 0;
  virtual int connect(const char* host, uint16_t port) = 0;
  virtual size_t write(uint8_t) = 0;
  virtual size_t write(const uint8_t* buf, size_t size) = 0;
  virtual int available() = 0;
  virtual int read() = 0;
  virtual int read(uint8_t* buf, size_t size) = 0;
  virtual int peek() = 0;
  virtual void flush() = 0;
  virtual void stop() = 0;
  virtual uint8_t connected() = 0;
  virtual operator bool() = 0;
};

// ---- CMSIS (core_cm4.h) and the SAMD51 device header, as far as the sketch uses them.
#ifndef __SAMD51__
#define __SAMD51__ 1
#endif
extern uint32_t SystemCoreClock;

typedef struct {
  volatile uint32_t CTRL;
  volatile uint32_t CYCCNT;
} DWT_Type;
typedef struct {
  volatile uint32_t DHCSR;
  volatile uint32_t DCRSR;
  volatile uint32_t DCRDR;
  volatile uint32_t DEMCR;
} CoreDebug_Type;
extern DWT_Type fake_dwt;
extern CoreDebug_Type fake_coredebug;
#define DWT (&fake_dwt)
#define CoreDebug (&fake_coredebug)
#define DWT_CTRL_CYCCNTENA_Msk (1UL)
#define CoreDebug_DEMCR_TRCENA_Msk (1UL << 24)

typedef enum IRQn { WDT_IRQn = 10 } IRQn_Type;
void NVIC_EnableIRQ(IRQn_Type IRQn);
void NVIC_DisableIRQ(IRQn_Type IRQn);
void NVIC_ClearPendingIRQ(IRQn_Type IRQn);
void NVIC_SetPriority(IRQn_Type IRQn, uint32_t priority);

typedef union {
  struct { uint8_t :1; uint8_t ENABLE:1; uint8_t WEN:1; uint8_t :4; uint8_t ALWAYSON:1; } bit;
  uint8_t reg;
} WDT_CTRLA_Type;
typedef union {
  struct { uint8_t PER:4; uint8_t WINDOW:4; } bit;
  uint8_t reg;
} WDT_CONFIG_Type;
typedef union {
  struct { uint8_t EWOFFSET:4; uint8_t :4; } bit;
  uint8_t reg;
} WDT_EWCTRL_Type;
typedef union {
  struct { uint8_t EW:1; uint8_t :7; } bit;
  uint8_t reg;
} WDT_INT_Type;
typedef union {
  struct { uint32_t :1; uint32_t ENABLE:1; uint32_t WEN:1; uint32_t ALWAYSON:1; uint32_t CLEAR:1; uint32_t :27; } bit;
  uint32_t reg;
} WDT_SYNCBUSY_Type;
typedef union {
  struct { uint8_t CLEAR:8; } bit;
  uint8_t reg;
} WDT_CLEAR_Type;
typedef struct {
  volatile WDT_CTRLA_Type CTRLA;
  volatile WDT_CONFIG_Type CONFIG;
  volatile WDT_EWCTRL_Type EWCTRL;
  uint8_t Reserved1[1];
  volatile WDT_INT_Type INTENCLR;
  volatile WDT_INT_Type INTENSET;
  volatile WDT_INT_Type INTFLAG;
  uint8_t Reserved2[1];
  volatile WDT_SYNCBUSY_Type SYNCBUSY;
  volatile WDT_CLEAR_Type CLEAR;
} Wdt;

typedef union {
  struct { uint8_t POR:1; uint8_t BODCORE:1; uint8_t BODVDD:1; uint8_t NVM:1; uint8_t EXT:1; uint8_t WDT:1; uint8_t SYST:1; uint8_t BACKUP:1; } bit;
  uint8_t reg;
} RSTC_RCAUSE_Type;
typedef struct {
  volatile const RSTC_RCAUSE_Type RCAUSE;
} Rstc;

typedef union {
  struct { uint32_t :1; uint32_t EN32K:1; uint32_t EN1K:1; uint32_t :29; } bit;
  uint32_t reg;
} OSC32KCTRL_OSCULP32K_Type;
typedef struct {
  volatile OSC32KCTRL_OSCULP32K_Type OSCULP32K;
} Osc32kctrl;
// Instances last, as in the CMSIS device header (RSTC's RCAUSE has a bit named WDT).
extern Wdt fake_wdt;
extern Rstc fake_rstc;
extern Osc32kctrl fake_osc32kctrl;
#define WDT (&fake_wdt)
#define WDT_CLEAR_CLEAR_KEY (0xA5u)
#define RSTC (&fake_rstc)
#define OSC32KCTRL (&fake_osc32kctrl)

#endif  // FAKE_ARDUINO_H
