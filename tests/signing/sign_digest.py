"""A client-side signing service, as provinces use with a person's token: given the
SHA-256 of a prepared PDF (`baocao sign prepare`), it returns a detached CAdES signature
of it (PAdES attributes: signing-certificate-v2, no signing time), made by pyHanko's
signer — an implementation independent of baocao's.

usage: sign_digest.py KEY.pem CERT.pem DIGEST.sha256 OUT.p7s
"""
import asyncio
import sys

from pyhanko.sign import signers


def main(key: str, cert: str, digest_file: str, out: str) -> None:
    signer = signers.SimpleSigner.load(key, cert)
    with open(digest_file, encoding="ascii") as f:
        digest = bytes.fromhex(f.read().strip())
    signature = asyncio.run(signer.async_sign(digest, "sha256", use_pades=True))
    with open(out, "wb") as f:
        f.write(signature.dump())


if __name__ == "__main__":
    main(*sys.argv[1:5])
