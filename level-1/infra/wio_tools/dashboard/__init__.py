"""``wio-dashboard``: a small local web app over the sensor table (Starlette + uvicorn + uPlot).

* a device list from the IoT registry (paginated, 100 a page), each row's newest reading by
  one DynamoDB ``Query`` (``Limit=1``, newest first), silent devices, and the dead-letter
  queue's approximate rejected-message count;
* per device, a uPlot chart of every ``CONTRACT.measurements`` field over the last hour, day or
  week, updated live by polling for readings newer than the last one the page has.

Every read is a key ``Query`` (never a ``Scan``) through :class:`AwsEnvironment`, so the same
app runs against local AWS (``--local``) and a real account. It binds 127.0.0.1 only unless
``--host`` says otherwise.

When level 2 is deployed, the device page also shows its alerts and, in each chart, its
forecast as a dashed series; without level 2 it says so.

Modules: ``readings`` (DynamoDB reads), ``fleet`` (device list, silent rule, dead-letter
count), ``level2`` (level 2's alerts and forecast), ``pages`` (HTML and UI strings),
``assets`` (uPlot and static files), ``app`` (Starlette routes), ``cli`` (``wio-dashboard``),
``server`` (serve in a thread), ``browser`` (headless Debian Chromium via selenium), ``bench``
(the week-of-data benchmark).
"""
