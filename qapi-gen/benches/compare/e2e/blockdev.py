#!/usr/bin/env python3
"""Export a raw disk over NBD and create a qcow2 image on a running
qemu-storage-daemon, using qemu.qmp.

Usage: blockdev.py SOCKET DIR
"""

import asyncio
import os
import sys

from qemu.qmp import ExecuteError, QMPClient

EVENT_TIMEOUT = 30


async def main(socket, scratch):
    qmp = QMPClient("blockdev")
    await qmp.connect(socket)
    try:
        await run(qmp, scratch)
    finally:
        await qmp.disconnect()


async def run(qmp, scratch):
    disk = os.path.join(scratch, "disk.raw")
    with open(disk, "wb") as f:
        f.truncate(64 * 1024 * 1024)
    await qmp.execute(
        "blockdev-add", {"driver": "file", "node-name": "disk-file", "filename": disk}
    )
    await qmp.execute(
        "blockdev-add", {"driver": "raw", "node-name": "disk", "file": "disk-file"}
    )

    await qmp.execute(
        "nbd-server-start",
        {"addr": {"type": "unix", "data": {"path": os.path.join(scratch, "nbd.sock")}}},
    )
    await qmp.execute(
        "block-export-add",
        {"type": "nbd", "id": "export0", "node-name": "disk", "writable": True},
    )
    for export in await qmp.execute("query-block-exports"):
        print(f"export {export['id']}: {export['type']} on {export['node-name']}")

    image = os.path.join(scratch, "new.qcow2")
    open(image, "wb").close()
    await qmp.execute(
        "blockdev-add", {"driver": "file", "node-name": "new-file", "filename": image}
    )

    def create0_concluded(event):
        data = event["data"]
        return data["id"] == "create0" and data["status"] == "concluded"

    with qmp.listener("JOB_STATUS_CHANGE", create0_concluded) as listener:
        await qmp.execute(
            "blockdev-create",
            {
                "job-id": "create0",
                "options": {
                    "driver": "qcow2",
                    "file": "new-file",
                    "size": 128 * 1024 * 1024,
                },
            },
        )
        await asyncio.wait_for(listener.get(), EVENT_TIMEOUT)
    print("job create0: concluded")
    await qmp.execute("job-dismiss", {"id": "create0"})

    await qmp.execute(
        "blockdev-add", {"driver": "qcow2", "node-name": "new", "file": "new-file"}
    )
    print("added new: qcow2 on new-file")

    try:
        await qmp.execute("blockdev-del", {"node-name": "missing"})
    except ExecuteError as err:
        print(f"blockdev-del missing: {err}")
    else:
        raise RuntimeError("blockdev-del of a missing node succeeded")

    def export0_deleted(event):
        return event["data"]["id"] == "export0"

    with qmp.listener("BLOCK_EXPORT_DELETED", export0_deleted) as listener:
        await qmp.execute("block-export-del", {"id": "export0"})
        await asyncio.wait_for(listener.get(), EVENT_TIMEOUT)
    await qmp.execute("nbd-server-stop")
    for node in ("new", "new-file", "disk", "disk-file"):
        await qmp.execute("blockdev-del", {"node-name": node})
    print("done")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: blockdev.py SOCKET DIR")
    asyncio.run(main(sys.argv[1], sys.argv[2]))
