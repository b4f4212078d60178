"""Certificates for TLS status-check tests, made offline with ``cryptography``: a private CA, leaves it
signs (one expiring within a day, one behind an intermediate that expires in three days) and a
self-signed leaf nobody trusts. EC keys keep generation fast.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

Key = ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class Issued:
    """A certificate and its key."""

    cert: x509.Certificate
    key: Key


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def issue(common: str, *, lifetime: dt.timedelta, issuer: Issued | None = None, ca: bool = False) -> Issued:
    """A certificate for ``common`` valid from an hour ago for ``lifetime``; self-signed without issuer."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    signer = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(issuer.cert.subject if issuer else _name(common))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + lifetime)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          encipher_only=False, decipher_only=False), critical=True)
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                         x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
    builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    return Issued(builder.sign(signer, hashes.SHA256()), key)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def server_context(folder: Path, name: str, leaf: Issued, *chain: Issued) -> ssl.SSLContext:
    """A server TLS context presenting ``leaf`` followed by ``chain`` (files written under ``folder``)."""
    cert_file = folder / f"{name}.pem"
    key_file = folder / f"{name}.key"
    cert_file.write_bytes(_pem(leaf.cert) + b"".join(_pem(c.cert) for c in chain))
    key_file.write_bytes(leaf.key.private_bytes(serialization.Encoding.PEM,
                                                serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


@dataclass(frozen=True)
class TlsSet:
    """The CA file a checker should trust, and server contexts for each case."""

    ca_file: Path
    good: ssl.SSLContext
    expiring: ssl.SSLContext
    short_intermediate: ssl.SSLContext
    self_signed: ssl.SSLContext


def make_tls_set(folder: Path) -> TlsSet:
    """All TLS cases, written under ``folder``."""
    root = issue("incident-mcp test root", lifetime=dt.timedelta(days=3650), ca=True)
    intermediate = issue("incident-mcp test intermediate", lifetime=dt.timedelta(days=3), issuer=root, ca=True)
    ca_file = folder / "ca.pem"
    ca_file.write_bytes(_pem(root.cert))
    return TlsSet(
        ca_file=ca_file,
        good=server_context(folder, "good", issue("localhost", lifetime=dt.timedelta(days=300), issuer=root)),
        expiring=server_context(folder, "expiring",
                                issue("localhost", lifetime=dt.timedelta(hours=12), issuer=root)),
        short_intermediate=server_context(
            folder, "short-intermediate",
            issue("localhost", lifetime=dt.timedelta(days=300), issuer=intermediate), intermediate),
        self_signed=server_context(folder, "self-signed",
                                   issue("localhost", lifetime=dt.timedelta(days=300))),
    )
