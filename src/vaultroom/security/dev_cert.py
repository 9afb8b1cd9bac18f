"""``vaultroom dev-cert``: a local certificate authority and a localhost certificate it signs.

For development and trials over HTTPS on one machine. The authority may only vouch
for localhost and the loopback addresses (X.509 name constraints), so trusting it
in a browser does not let its key impersonate any other site.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_DIR = Path(".vaultroom-dev-cert")
CA_LIFETIME = datetime.timedelta(days=3650)
# Browsers refuse longer-lived server certificates even from a locally trusted authority.
CERT_LIFETIME = datetime.timedelta(days=825)
DNS_NAMES = ("localhost",)
IP_ADDRESSES = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))


@dataclass(frozen=True)
class DevCertFiles:
    """Where ``create_dev_cert`` put its files."""

    directory: Path
    ca_cert: Path
    ca_key: Path
    cert: Path
    key: Path
    new_authority: bool


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` readable by the owner only (0600), also when the file existed."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        os.fchmod(out.fileno(), 0o600)
        out.write(data)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "VaultRoom development"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _authority(now: datetime.datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("VaultRoom development CA")
    permitted: list[x509.GeneralName] = [x509.DNSName(dns) for dns in DNS_NAMES]
    permitted += [x509.IPAddress(ipaddress.ip_network("127.0.0.0/8"))]
    permitted += [x509.IPAddress(ipaddress.ip_network("::1/128"))]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=None),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate, key


def _server_certificate(
    authority: x509.Certificate,
    authority_key: ec.EllipticCurvePrivateKey,
    key: ec.EllipticCurvePrivateKey,
    now: datetime.datetime,
) -> x509.Certificate:
    names: list[x509.GeneralName] = [x509.DNSName(dns) for dns in DNS_NAMES]
    names += [x509.IPAddress(address) for address in IP_ADDRESSES]
    return (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(authority.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + CERT_LIFETIME)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority_key.public_key()),
            critical=False,
        )
        .sign(authority_key, hashes.SHA256())
    )


def _existing_authority(
    ca_cert: Path, ca_key: Path
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    """The authority made by an earlier run (so that it need not be trusted again)."""
    if not (ca_cert.is_file() and ca_key.is_file()):
        return None
    certificate = x509.load_pem_x509_certificate(ca_cert.read_bytes())
    key = serialization.load_pem_private_key(ca_key.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        return None
    return certificate, key


def create_dev_cert(directory: Path = DEFAULT_DIR) -> DevCertFiles:
    """Make (or reuse) the authority in ``directory`` and issue a fresh localhost certificate."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    files = DevCertFiles(
        directory=directory,
        ca_cert=directory / "ca.pem",
        ca_key=directory / "ca-key.pem",
        cert=directory / "cert.pem",
        key=directory / "key.pem",
        new_authority=False,
    )
    now = datetime.datetime.now(datetime.UTC)
    existing = _existing_authority(files.ca_cert, files.ca_key)
    if existing is None:
        authority, authority_key = _authority(now)
        _write_private(files.ca_key, _pem_key(authority_key))
        files.ca_cert.write_bytes(authority.public_bytes(serialization.Encoding.PEM))
        files = replace(files, new_authority=True)
    else:
        authority, authority_key = existing
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = _server_certificate(authority, authority_key, key, now)
    _write_private(files.key, _pem_key(key))
    files.cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return files


def instructions(files: DevCertFiles) -> str:
    """How to trust the authority, and the ``serve`` command that uses the certificate."""
    ca = files.ca_cert.resolve()
    made = "Created a new" if files.new_authority else "Reused the"
    return f"""{made} development certificate authority: {ca}
Issued a certificate for localhost, 127.0.0.1 and ::1: {files.cert.resolve()}
(private keys: {files.ca_key.resolve()} and {files.key.resolve()}, readable by you only)

The authority can only vouch for localhost and loopback addresses. Trust it once:

  Debian/Ubuntu (system store: curl, Python, ...):
    sudo cp {ca} /usr/local/share/ca-certificates/vaultroom-dev-ca.crt
    sudo update-ca-certificates
  Chromium/Chrome on Linux (their own store; certutil is in libnss3-tools):
    certutil -d sql:$HOME/.pki/nssdb -A -t "C,," -n "VaultRoom dev CA" -i {ca}
  macOS (Safari, Chrome):
    sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain {ca}
  Firefox (any system): Settings > Privacy & Security > Certificates > View Certificates
    > Authorities > Import..., choose {ca}, tick "Trust this CA to identify websites".

Then serve over HTTPS and WSS:

  vaultroom serve --certfile {files.cert.resolve()} --keyfile {files.key.resolve()}

and open https://localhost:8000 (or https://127.0.0.1:8000).
"""
