// The portable core of the Wio Terminal firmware: plain C++11, no Arduino headers. The
// sketch (wioterminal.ino) wires the hardware to these classes; the host tests and
// payload_cli compile the very same headers with g++, and `make -C level-1/device cross`
// compiles them for the board's Cortex-M4F with arm-none-eabi-g++ -Wall -Wextra -Werror.
#ifndef WIO_WIO_H
#define WIO_WIO_H

#include "alert.h"
#include "backoff.h"
#include "buttons.h"
#include "canvas.h"
#include "chart.h"
#include "clock.h"
#include "link.h"
#include "outbox.h"
#include "payload.h"
#include "ring_buffer.h"
#include "rng.h"
#include "scheduler.h"
#include "screen.h"
#include "sensors.h"
#include "status_view.h"
#include "text.h"

#define WIO_FIRMWARE_VERSION "1.1.0"

#endif  // WIO_WIO_H
