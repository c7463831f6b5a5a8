// Compile-time settings of the Wio Terminal sketch. Secrets (Wi-Fi, endpoint, certificates)
// live in arduino_secrets.h, which wio-provision writes; everything here is safe to commit.
// Each value can also be overridden with a -D build flag (arduino-cli --build-property).
#ifndef WIO_CONFIG_H
#define WIO_CONFIG_H

// ---------------------------------------------------------------- sensor (pick one)
#define WIO_SENSOR_DHT11 1      // Grove Temperature & Humidity Sensor (DHT11), Wio Terminal kit
#define WIO_SENSOR_DHT20 2      // Grove Temperature & Humidity Sensor V2.0 (DHT20 = AHT20), I2C
#define WIO_SENSOR_SHT4X 3      // Grove SHT40/SHT41/SHT45, I2C
#define WIO_SENSOR_SIMULATED 4  // no Grove sensor: a smooth daily cycle with noise

#ifndef WIO_SENSOR
#define WIO_SENSOR WIO_SENSOR_DHT11
#endif

// DHT11 data pin: the Grove port marked D0/A0 (the right-hand port seen from the front
// of the screen). DHT20 and SHT4x go on the I2C Grove port (left-hand, `Wire`).
#ifndef WIO_DHT11_PIN
#define WIO_DHT11_PIN D0
#endif

// ---------------------------------------------------------------- publishing
// Seconds between readings. Each reading is one MQTT message (QoS 1) to device/<thing>/data.
#ifndef WIO_PUBLISH_INTERVAL_S
#define WIO_PUBLISH_INTERVAL_S 60
#endif

// Offline buffer: readings kept in RAM while Wi-Fi, time or MQTT is unavailable. Each takes
// 20 bytes, so 512 readings = 10,240 bytes (+24 bytes of bookkeeping): 8 h 32 min at a 60 s
// interval. When full, the oldest reading is dropped and counted ("drop" on the screen).
#ifndef WIO_BUFFER_CAPACITY
#define WIO_BUFFER_CAPACITY 512
#endif

// At most this many buffered messages are published per loop pass, so the screen, the
// buttons and the watchdog stay responsive while a backlog drains.
#ifndef WIO_MAX_PUBLISH_PER_LOOP
#define WIO_MAX_PUBLISH_PER_LOOP 5
#endif

// ---------------------------------------------------------------- time
// SNTP servers, tried in turn. NICT's is the Japanese national time standard.
#ifndef WIO_NTP_SERVER_1
#define WIO_NTP_SERVER_1 "ntp.nict.jp"
#endif
#ifndef WIO_NTP_SERVER_2
#define WIO_NTP_SERVER_2 "pool.ntp.org"
#endif
#ifndef WIO_NTP_TIMEOUT_MS
#define WIO_NTP_TIMEOUT_MS 3000
#endif
#ifndef WIO_NTP_RESYNC_S
#define WIO_NTP_RESYNC_S 3600
#endif

// The screen shows local time at this offset (JST = +9 h). Payloads are always UTC epoch.
#ifndef WIO_UTC_OFFSET_S
#define WIO_UTC_OFFSET_S 32400
#endif
// Shown after an alert's local time on the screen; keep it in step with WIO_UTC_OFFSET_S.
#ifndef WIO_TIME_ZONE_NAME
#define WIO_TIME_ZONE_NAME "JST"
#endif

// ---------------------------------------------------------------- screen and alerts
// Points of the on-screen chart, one per reading: 60 = the last hour at a 60 s interval.
// 8 bytes each (see README, RAM budget). Buttons B and C switch the plotted field.
#ifndef WIO_CHART_POINTS
#define WIO_CHART_POINTS 60
#endif

// The buzzer sounds this long, once, for each new alert id on device/<thing>/alerts.
#ifndef WIO_ALERT_BEEP_MS
#define WIO_ALERT_BEEP_MS 150
#endif

// After the broker refused the alerts subscription (a policy without Subscribe/Receive on
// that topic), publishing goes on without it and the subscription is retried this much later.
#ifndef WIO_ALERT_RESUBSCRIBE_S
#define WIO_ALERT_RESUBSCRIBE_S 3600
#endif

// ---------------------------------------------------------------- MQTT / TLS
#ifndef WIO_MQTT_KEEPALIVE_S
#define WIO_MQTT_KEEPALIVE_S 60
#endif
// Bound on one MQTT command (CONNECT, or a QoS 1 publish waiting for its PUBACK).
#ifndef WIO_MQTT_COMMAND_TIMEOUT_MS
#define WIO_MQTT_COMMAND_TIMEOUT_MS 5000
#endif
// Bound on DNS + TCP + TLS handshake of one connection attempt (runs on the RTL8720).
#ifndef WIO_TLS_CONNECT_TIMEOUT_MS
#define WIO_TLS_CONNECT_TIMEOUT_MS 15000
#endif

// ---------------------------------------------------------------- watchdog
// The loop must come round within this many seconds, or the board resets. Blocking steps
// (one Wi-Fi join, one TLS handshake) are each bounded well below it. Must be a multiple
// of 8 (the hardware early-warning period), at most 248.
#ifndef WIO_WATCHDOG_S
#define WIO_WATCHDOG_S 64
#endif

#endif  // WIO_CONFIG_H
