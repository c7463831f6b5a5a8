"""Provision Wio Terminal devices (things) in AWS IoT Core, or in local AWS (MiniStack).

One code path serves real AWS and the local emulator. For each thing name it:

1. creates the thing (idempotent);
2. creates keys and an ACTIVE certificate, unless the certs folder already holds an ACTIVE
   certificate of this account attached to the thing;
3. attaches the stack's device policy to the certificate and the certificate to the thing;
4. fetches the ATS data endpoint;
5. writes ``certs/<thing>/{certificate.pem.crt, private.pem.key, AmazonRootCA1.pem, thing.json}``
   (the key with mode 0600) and, for a single thing, ``arduino_secrets.h`` for the sketch.

``--delete`` detaches the policy and the thing, sets the certificate INACTIVE, deletes it and
the thing, and removes the local files.

Examples::

    wio-provision wio-terminal-01 --wifi-ssid MyWifi --wifi-password secret
    wio-provision --fleet 100 --fleet-prefix sim
    wio-provision --fleet 100 --fleet-prefix sim --delete
    wio-provision wio-terminal-01 --delete

Locally (after ``wio-local-aws start`` / ``make -C level-1 up`` and ``cdk deploy``) pass
``--local`` or export the variables of ``wio-local-aws env``. The sketch always gets Amazon
Root CA 1; ``thing.json`` additionally records the broker address and CA that a local MQTT
client (the simulator) must use: 127.0.0.1, MiniStack's mTLS port and MiniStack's local CA.

The code lives in small modules; this package re-exports their public names, so
``from wio_tools.provision import ...`` keeps working:

- ``target``: the device policy and endpoint lookups on an ``AwsEnvironment``, errors;
- ``credentials``: ``DeviceCredentials``, the files written per thing, Amazon Root CA 1;
- ``things``: thing names and provisioning (one thing, many, a fleet);
- ``deletion``: revoking and deleting things and their files;
- ``secrets_header``: ``arduino_secrets.h`` rendering and its macro names;
- ``cli``: the ``wio-provision`` command line.
"""

from __future__ import annotations

from wio_tools.provision.cli import build_parser, main
from wio_tools.provision.credentials import (
    CERT_FILE,
    DEFAULT_CERTS_DIR,
    DEFAULT_SECRETS_OUT,
    KEY_FILE,
    LEVEL1_DIR,
    LOCAL_CA_FILE,
    ROOT_CA_FILE,
    THING_JSON,
    DeviceCredentials,
    amazon_root_ca1,
    amazon_root_ca_pem,
)
from wio_tools.provision.deletion import (
    delete_fleet,
    delete_thing,
    delete_things,
    fleet_members,
)
from wio_tools.provision.secrets_header import (
    MACRO_DEVICE_CERT,
    MACRO_DEVICE_KEY,
    MACRO_ENDPOINT,
    MACRO_PORT,
    MACRO_ROOT_CA,
    MACRO_THING_NAME,
    MACRO_WIFI_PASSWORD,
    MACRO_WIFI_SSID,
    PLACEHOLDER_PASSWORD,
    PLACEHOLDER_SSID,
    c_string_literal,
    render_secrets_example,
    render_secrets_header,
    write_secrets_header,
)
from wio_tools.provision.target import (
    DEFAULT_CONCURRENCY,
    ProvisionError,
    describe_ats_endpoint,
    find_device_policy,
)
from wio_tools.provision.things import (
    THING_NAME_RE,
    fleet_thing_names,
    provision_fleet,
    provision_thing,
    provision_things,
    validate_thing_name,
)

__all__ = [
    "LEVEL1_DIR",
    "DEFAULT_CERTS_DIR",
    "DEFAULT_SECRETS_OUT",
    "DEFAULT_CONCURRENCY",
    "CERT_FILE",
    "KEY_FILE",
    "ROOT_CA_FILE",
    "LOCAL_CA_FILE",
    "THING_JSON",
    "PLACEHOLDER_SSID",
    "PLACEHOLDER_PASSWORD",
    "MACRO_WIFI_SSID",
    "MACRO_WIFI_PASSWORD",
    "MACRO_ENDPOINT",
    "MACRO_PORT",
    "MACRO_THING_NAME",
    "MACRO_ROOT_CA",
    "MACRO_DEVICE_CERT",
    "MACRO_DEVICE_KEY",
    "THING_NAME_RE",
    "ProvisionError",
    "DeviceCredentials",
    "amazon_root_ca1",
    "amazon_root_ca_pem",
    "fleet_thing_names",
    "validate_thing_name",
    "find_device_policy",
    "describe_ats_endpoint",
    "provision_thing",
    "provision_things",
    "provision_fleet",
    "delete_thing",
    "fleet_members",
    "delete_things",
    "delete_fleet",
    "c_string_literal",
    "render_secrets_header",
    "write_secrets_header",
    "render_secrets_example",
    "build_parser",
    "main",
]
