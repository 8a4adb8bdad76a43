#!/usr/bin/env python3
'''An emulated BlueZ on a private D-Bus, with JK BMS units behind it, for the BLE tests.

    python3 tests/bluez/harness.py --scenario two-units --vectors ../shared/vectors

starts a private dbus-daemon (a bus of its own, nothing touches the machine's system bus),
loads jk_template.py (built on python-dbusmock's bluez5 template) into it, and prints

    DBUS_SYSTEM_BUS_ADDRESS=unix:path=/tmp/…/bus
    READY

Point DBUS_SYSTEM_BUS_ADDRESS at that address and the program sees that BlueZ. The harness
stops (and takes the bus and the mock with it) when its standard input closes or on SIGTERM.
The mock's log (every write the program made, as JKWRITE lines) goes to --log.

Scenarios: two-units, swapped, drop, faulty, all (the four together), empty, no-adapter,
no-bluez. If something it needs is
missing the harness prints "UNAVAILABLE: <why>" and exits 3, so a test can skip and say why.
'''

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

BUS_CONFIG = '''<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
'''

JK = 0x0B65
JK_ALT = 0x4B4A


def frames(vectors, name):
    '''The frames of one vectors file, by type, byte for byte.'''
    data = json.loads((Path(vectors) / name).read_text())
    out = {}
    for f in data['frames']:
        kind = f['expect']['type']
        out.setdefault(kind, f['hex'])
    return out


def old_module(address, name, frame_set, **extra):
    '''An older module: one FFE1 that takes writes and notifies; MTU 23 (20-byte pieces).'''
    unit = {'address': address, 'name': name, 'rssi': -58, 'gatt': 'one-ffe1', 'chunks': [20],
            'manufacturer': {str(JK): address.replace(':', '').lower()}, 'frames': frame_set}
    unit.update(extra)
    return unit


def new_module(address, name, frame_set, **extra):
    '''A newer module (20:21:11:…): two FFE1s, write-only and notify-only; pieces as captured.'''
    unit = {'address': address, 'name': name, 'rssi': -71, 'gatt': 'two-ffe1', 'chunks': [128, 22, 150],
            'manufacturer': {str(JK_ALT): '0102'}, 'frames': frame_set}
    unit.update(extra)
    return unit


def scenario(name, vectors):
    v10 = frames(vectors, 'jk02-24s-v10.json')
    v14 = frames(vectors, 'jk02-32s-v14.json')
    v19 = frames(vectors, 'jk02-32s-v19.json')
    phone = {'address': '5C:11:22:33:44:55', 'name': 'Pixel 7', 'rssi': -40, 'gatt': 'no-ffe0',
             'advertise_ffe0': False, 'manufacturer': {'224': '0100'}}
    if name == 'two-units':
        return {'devices': [
            old_module('C8:47:8C:10:00:01', 'JK-B2A24S20P', v10),
            new_module('20:21:11:00:00:02', 'JK_PB2A16S15P', v14),
            phone,
        ]}
    if name == 'swapped':
        return {'devices': [
            old_module('C8:47:8C:10:00:03', 'JK-PB2A16S20P', v19),
            new_module('20:21:11:00:00:04', 'JK-B2A24S20P', v10),
        ]}
    if name == 'drop':
        return {'devices': [new_module('20:21:11:00:00:05', 'JK_PB2A16S15P', v14, drop_after_cells=3)]}
    if name == 'faulty':
        return {'devices': [
            # Looks like a JK unit, is something else: no FFE0 behind the name.
            {'address': 'C8:47:8C:10:00:06', 'name': 'JK-B2A8S20P', 'rssi': -60, 'gatt': 'no-ffe0',
             'advertise_ffe0': False},
            old_module('C8:47:8C:10:00:07', 'JK-B2A24S20P', v10, connect='refuse'),
            old_module('C8:47:8C:10:00:08', 'JK-B2A24S20P', v10, connect='no-services'),
        ]}
    if name == 'all':
        # Every unit above on one bus: a test process can only ever use one bus address,
        # because libdbus reads DBUS_SYSTEM_BUS_ADDRESS once and keeps it.
        devices = []
        for part in ('two-units', 'swapped', 'drop', 'faulty'):
            devices += [d for d in scenario(part, vectors)['devices'] if d not in devices]
        # A unit whose stream stalls once while it stays connected (the watchdog's case).
        devices.append(new_module('20:21:11:00:00:0B', 'JK_PB2A16S15P', v14, stall_after_cells=2))
        # A pair of its own for the btleplug-only comparison.
        devices += [old_module('C8:47:8C:10:00:09', 'JK-B2A24S20P', v10),
                    new_module('20:21:11:00:00:0A', 'JK_PB2A16S15P', v14)]
        return {'devices': devices}
    if name == 'empty':
        return {'devices': [phone]}
    if name == 'no-adapter':
        return {'adapter': None, 'devices': []}
    raise SystemExit(f'unknown scenario {name}')


def unavailable(why):
    print(f'UNAVAILABLE: {why}', flush=True)
    sys.exit(3)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--scenario', required=True)
    parser.add_argument('--vectors', required=True)
    parser.add_argument('--log', default=None, help='where the mock logs (default: beside the bus)')
    args = parser.parse_args()

    daemon = shutil.which('dbus-daemon')
    if not daemon:
        unavailable('dbus-daemon is not installed (Debian package dbus-daemon)')
    try:
        import dbus  # noqa: F401
        import dbusmock  # noqa: F401
        from gi.repository import GLib  # noqa: F401
    except ImportError as e:
        unavailable(f'{e} (Debian packages python3-dbusmock, python3-dbus, python3-gi)')

    params = None if args.scenario == 'no-bluez' else scenario(args.scenario, args.vectors)

    tmp = tempfile.mkdtemp(prefix='jk-bluez-')
    socket = os.path.join(tmp, 'bus')
    config = os.path.join(tmp, 'bus.conf')
    Path(config).write_text(BUS_CONFIG.format(socket=socket))
    children = []

    def stop(*_):
        for child in reversed(children):
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=3)
            except subprocess.TimeoutExpired:
                child.kill()
        shutil.rmtree(tmp, ignore_errors=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    bus = subprocess.Popen([daemon, '--config-file', config, '--nofork', '--print-address=1'],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    children.append(bus)
    address = bus.stdout.readline().strip()
    if not address:
        err = bus.stderr.read() if bus.poll() is not None else ''
        stop_quietly(children, tmp)
        unavailable(f'dbus-daemon did not start: {err.strip() or "no address printed"}')

    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=address)
    log_path = args.log or os.path.join(tmp, 'mock.log')
    if params is not None:
        log = open(log_path, 'w')
        mock = subprocess.Popen(
            [sys.executable, '-m', 'dbusmock', '--system', '--template', str(HERE / 'jk_template.py'),
             '--parameters', json.dumps(params)],
            env=env, stdout=subprocess.DEVNULL, stderr=log)
        children.append(mock)
        if not wait_for_bluez(address, mock):
            stop_quietly(children, tmp)
            unavailable('the BlueZ mock did not come up on the private bus')

    print(f'DBUS_SYSTEM_BUS_ADDRESS={address}', flush=True)
    print(f'LOG={log_path}', flush=True)
    print('READY', flush=True)
    # Until the test closes our stdin (or dies, which closes it too).
    try:
        sys.stdin.read()
    finally:
        stop()


def wait_for_bluez(address, mock):
    import dbus
    deadline = time.time() + 15
    while time.time() < deadline:
        if mock.poll() is not None:
            return False
        try:
            bus = dbus.bus.BusConnection(address)
            try:
                # Answers only once the template is loaded and the main loop runs.
                root = bus.get_object('org.bluez', '/')
                root.GetManagedObjects(dbus_interface='org.freedesktop.DBus.ObjectManager', timeout=2)
                return True
            finally:
                bus.close()
        except dbus.exceptions.DBusException:
            pass
        time.sleep(0.05)
    return False


def stop_quietly(children, tmp):
    for child in children:
        if child.poll() is None:
            child.kill()
            child.wait()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
