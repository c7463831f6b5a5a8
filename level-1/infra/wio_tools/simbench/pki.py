"""A throw-away certificate authority for the mosquitto bench, made at run time.

One CA, one server certificate for 127.0.0.1, and one certificate per device whose common
name is the thing name (mosquitto's ``use_identity_as_username`` turns it into the user the
ACL names). Keys are ECDSA P-256, which AWS IoT Core also accepts: a key is made in well
under a millisecond, so 5,000 devices cost seconds, not the minutes RSA would. Nothing here
is a secret worth keeping; it all lives in a temporary folder that the caller removes.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALID = datetime.timedelta(days=2)
_PEM = serialization.Encoding.PEM
_NO_PASSWORD = serialization.NoEncryption()
_PKCS8 = serialization.PrivateFormat.PKCS8


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(_PEM, _PKCS8, _NO_PASSWORD)


@dataclass
class IssuedCert:
    name: str
    cert_path: Path
    key_path: Path
    serial: int


@dataclass
class LocalCA:
    """A CA in ``folder``: ``ca.pem`` is public, the CA key never leaves this object."""

    folder: Path
    key: ec.EllipticCurvePrivateKey = field(repr=False)
    cert: x509.Certificate = field(repr=False)
    revoked: dict[int, str] = field(default_factory=dict)

    @classmethod
    def create(cls, folder: Path, name: str = "wio-simbench local CA") -> LocalCA:
        folder.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(_name(name))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + _VALID)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True, content_commitment=False, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=True,
                    crl_sign=True, encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )  # fmt: skip
            .sign(key, hashes.SHA256())
        )
        ca = cls(folder=folder, key=key, cert=cert)
        ca.ca_path.write_bytes(cert.public_bytes(_PEM))
        ca.write_crl()
        return ca

    @property
    def ca_path(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def crl_path(self) -> Path:
        return self.folder / "crl.pem"

    def _issue(self, common_name: str, *, server: bool) -> tuple[bytes, bytes, int]:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        serial = x509.random_serial_number()
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + _VALID)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
                ),
                critical=False,
            )
        cert = builder.sign(self.key, hashes.SHA256())
        return cert.public_bytes(_PEM), _key_pem(key), serial

    def issue(self, common_name: str, folder: Path, *, server: bool = False) -> IssuedCert:
        """Write ``<folder>/<cn>.crt`` and ``<folder>/<cn>.key`` (key mode 0600)."""
        folder.mkdir(parents=True, exist_ok=True)
        cert_pem, key_pem, serial = self._issue(common_name, server=server)
        cert_path, key_path = folder / f"{common_name}.crt", folder / f"{common_name}.key"
        cert_path.write_bytes(cert_pem)
        key_path.write_bytes(key_pem)
        key_path.chmod(0o600)
        return IssuedCert(common_name, cert_path, key_path, serial)

    def revoke(self, issued: IssuedCert) -> None:
        """Add the certificate to the CRL and rewrite ``crl.pem``."""
        self.revoked[issued.serial] = issued.name
        self.write_crl()

    def write_crl(self) -> None:
        now = datetime.datetime.now(datetime.timezone.utc)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.cert.subject)
            .last_update(now - datetime.timedelta(minutes=5))
            .next_update(now + _VALID)
        )
        for serial in self.revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(now - datetime.timedelta(seconds=1))
                .build()
            )
        crl = builder.sign(self.key, hashes.SHA256())
        tmp = self.crl_path.with_suffix(".tmp")
        tmp.write_bytes(crl.public_bytes(_PEM))
        tmp.replace(self.crl_path)
