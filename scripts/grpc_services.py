#!/usr/bin/env python3
"""Waits for a baocao gateway and lists its gRPC services through server reflection.

The check `grpcurl -plaintext HOST:PORT list` makes, with Debian's Python and PyPI's
grpcio + grpcio-reflection (grpcurl is not packaged in Debian):

    python3 scripts/grpc_services.py 127.0.0.1:50051 [--wait SECONDS]
"""

import argparse
import sys

import grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("address", help="HOST:PORT of a gateway (plaintext)")
    parser.add_argument("--wait", type=float, default=30.0,
                        help="seconds to wait for the gateway to listen (default 30)")
    args = parser.parse_args()
    channel = grpc.insecure_channel(args.address)
    try:
        grpc.channel_ready_future(channel).result(timeout=args.wait)
    except grpc.FutureTimeoutError:
        print(f"error: no gRPC server on {args.address} after {args.wait:g} s", file=sys.stderr)
        return 1
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    for answer in stub.ServerReflectionInfo(iter([request]), timeout=10):
        for service in answer.list_services_response.service:
            print(service.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
