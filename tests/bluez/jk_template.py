# -*- coding: utf-8 -*-
'''python-dbusmock template: BlueZ with JK BMS units behind it.

Builds on dbusmock's own bluez5 template (its org.bluez root, AgentManager and Adapter1 with
StartDiscovery/StopDiscovery) and adds what that template lacks: devices that appear when
discovery starts, with name, RSSI, manufacturer data and advertised services; Connect that
resolves services and publishes a GATT tree like BlueZ does; and a JK unit behind the FFE1
characteristic(s) that answers the real commands with real frames, sent as notifications
("Value" PropertiesChanged on the notifying characteristic) cut to a realistic MTU.

Parameters (JSON, see harness.py): {"adapter": "hci0" | null, "devices": [device, ...]}
device = {
  "address": "C8:47:8C:10:00:01", "name": "JK-B2A24S20P", "rssi": -58,
  "manufacturer": {"2917": "c8478c100001"},   # company id (decimal) -> hex
  "advertise_ffe0": true,
  "gatt": "one-ffe1" | "two-ffe1" | "no-ffe0",
  "connect": "ok" | "refuse" | "no-services",
  "chunks": [20],                 # notification sizes, cycled
  "interval_ms": 400,             # cell-info period
  "drop_after_cells": 0,          # >0: drop the link after that many cell frames (once)
  "stall_after_cells": 0,         # >0: go silent (still connected) after that many (once);
                                  #     the next 0x96 starts the stream again
  "frames": {"device_info": hex, "settings": hex, "cell_info": hex, "logbook": hex}
}
Every WriteValue is logged to stderr as one line "JKWRITE <address> <char> <type> <hex>", so a
test can check what the program wrote and how.
'''

import sys

import dbus
from gi.repository import GLib

from dbusmock import OBJECT_MANAGER_IFACE, mockobject
from dbusmock.templates import bluez5

BUS_NAME = 'org.bluez'
MAIN_OBJ = '/'
SYSTEM_BUS = True
IS_OBJECT_MANAGER = True

ADAPTER_IFACE = 'org.bluez.Adapter1'
DEVICE_IFACE = 'org.bluez.Device1'
SERVICE_IFACE = 'org.bluez.GattService1'
CHAR_IFACE = 'org.bluez.GattCharacteristic1'
DESC_IFACE = 'org.bluez.GattDescriptor1'

FFE0 = '0000ffe0-0000-1000-8000-00805f9b34fb'
FFE1 = '0000ffe1-0000-1000-8000-00805f9b34fb'
DEVICE_INFORMATION = '0000180a-0000-1000-8000-00805f9b34fb'
GENERIC_ATTRIBUTE = '00001801-0000-1000-8000-00805f9b34fb'
CCCD = '00002902-0000-1000-8000-00805f9b34fb'

# What a unit sends after each command: a short acknowledgement the program must ignore.
ACK = bytes([0xAA, 0x55, 0x90, 0xEB, 0xC8, 0x01, 0x01] + [0] * 12 + [0x44])

UNITS = {}


class _InterfacesFirst:
    '''dbusmock appends interfaces that only have properties (GattService1) after the child
    <node>s in its introspection XML. BlueZ lists interfaces first, then children, and
    bluez-async's XML parser depends on that order ("duplicate field `interface`" otherwise),
    so the mock's XML is put in BlueZ's order.'''

    def __getattr__(self, name):
        return getattr(_ElementTree, name)

    @staticmethod
    def tostring(tree, *args, **kwargs):
        children = list(tree)
        for child in children:
            tree.remove(child)
        for child in sorted(children, key=lambda c: c.tag == 'node'):
            tree.append(child)
        return _ElementTree.tostring(tree, *args, **kwargs)


_ElementTree = mockobject.ElementTree
mockobject.ElementTree = _InterfacesFirst()


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def manager():
    return mockobject.objects['/']


def emit_added(path, interfaces):
    manager().EmitSignal(OBJECT_MANAGER_IFACE, 'InterfacesAdded', 'oa{sa{sv}}',
                         [dbus.ObjectPath(path), interfaces])


def emit_removed(path, names):
    manager().EmitSignal(OBJECT_MANAGER_IFACE, 'InterfacesRemoved', 'oas',
                         [dbus.ObjectPath(path), names])


def set_props(obj, iface, changes):
    for k, v in changes.items():
        obj.props[iface][k] = v
    obj.EmitSignal(dbus.PROPERTIES_IFACE, 'PropertiesChanged', 'sa{sv}as', [iface, changes, []])


class Unit:
    '''One JK unit: its advertisement, its connection state and its BMS behaviour.'''

    def __init__(self, adapter_path, spec):
        self.spec = spec
        self.address = spec['address']
        self.path = adapter_path + '/dev_' + self.address.replace(':', '_').upper()
        self.adapter_path = adapter_path
        self.frames = {k: bytes.fromhex(v) for k, v in spec.get('frames', {}).items()}
        self.chunks = spec.get('chunks', [20])
        self.chunk_index = 0
        self.connected = False
        self.gatt_paths = []
        self.notify_path = None
        self.write_path = None
        self.streaming = None
        self.cells_sent = 0
        self.dropped_once = False
        self.stalled_once = False
        self.present = False

    # -- advertising ------------------------------------------------------------------------

    def appear(self):
        if self.present:
            return
        self.present = True
        uuids = [FFE0] if self.spec.get('advertise_ffe0', True) else []
        mdata = dbus.Dictionary(
            {dbus.UInt16(int(k)): dbus.Array([dbus.Byte(b) for b in bytes.fromhex(v)], signature='y')
             for k, v in self.spec.get('manufacturer', {}).items()},
            signature='qv', variant_level=1)
        props = {
            'Address': dbus.String(self.address, variant_level=1),
            'AddressType': dbus.String('public', variant_level=1),
            'Alias': dbus.String(self.spec.get('name') or self.address.replace(':', '-'), variant_level=1),
            'Adapter': dbus.ObjectPath(self.adapter_path, variant_level=1),
            'Paired': dbus.Boolean(False, variant_level=1),
            'Bonded': dbus.Boolean(False, variant_level=1),
            'Trusted': dbus.Boolean(False, variant_level=1),
            'Blocked': dbus.Boolean(False, variant_level=1),
            'LegacyPairing': dbus.Boolean(False, variant_level=1),
            'Connected': dbus.Boolean(False, variant_level=1),
            'ServicesResolved': dbus.Boolean(False, variant_level=1),
            'UUIDs': dbus.Array(uuids, signature='s', variant_level=1),
            'RSSI': dbus.Int16(self.spec.get('rssi', -70), variant_level=1),
            'ManufacturerData': mdata,
            'ServiceData': dbus.Dictionary({}, signature='sv', variant_level=1),
            'WakeAllowed': dbus.Boolean(False, variant_level=1),
        }
        if self.spec.get('name'):
            props['Name'] = dbus.String(self.spec['name'], variant_level=1)
        manager().AddObject(self.path, DEVICE_IFACE, props, [
            ('Connect', '', '', lambda dev: self.connect()),
            ('Disconnect', '', '', lambda dev: self.disconnect('host')),
            ('Pair', '', '', ''),
            ('CancelPairing', '', '', ''),
            ('ConnectProfile', 's', '', ''),
            ('DisconnectProfile', 's', '', ''),
        ])
        emit_added(self.path, {DEVICE_IFACE: props})

    # -- connection --------------------------------------------------------------------------

    def device(self):
        return mockobject.objects[self.path]

    def connect(self):
        mode = self.spec.get('connect', 'ok')
        if mode == 'refuse':
            raise dbus.exceptions.DBusException('le-connection-abort-by-local',
                                                name='org.bluez.Error.Failed')
        if self.connected:
            # What BlueZ says to a second Connect on a connected LE device.
            return
        self.connected = True
        set_props(self.device(), DEVICE_IFACE, {'Connected': dbus.Boolean(True, variant_level=1)})
        if mode == 'no-services':
            return
        # BlueZ resolves services a moment after the link is up, then says so.
        GLib.timeout_add(80, self.resolve_services)

    def resolve_services(self):
        if not self.connected:
            return False
        self.publish_gatt()
        set_props(self.device(), DEVICE_IFACE, {'ServicesResolved': dbus.Boolean(True, variant_level=1)})
        return False

    def disconnect(self, why):
        if not self.connected:
            raise dbus.exceptions.DBusException('Not Connected', name='org.bluez.Error.NotConnected')
        log(f'JKDISCONNECT {self.address} {why}')
        self.connected = False
        self.stop_stream()
        # An unbonded device's GATT objects go away with the link, as in BlueZ.
        for path in reversed(self.gatt_paths):
            obj = mockobject.objects[path]
            names = list(obj.props.keys())
            manager().RemoveObject(path)
            emit_removed(path, names)
        self.gatt_paths = []
        set_props(self.device(), DEVICE_IFACE, {
            'ServicesResolved': dbus.Boolean(False, variant_level=1),
            'Connected': dbus.Boolean(False, variant_level=1),
        })

    # -- GATT ----------------------------------------------------------------------------------

    def add(self, path, iface, props, methods):
        manager().AddObject(path, iface, props, methods)
        self.gatt_paths.append(path)
        emit_added(path, {iface: props})

    def add_service(self, handle, uuid):
        path = f'{self.path}/service{handle:04x}'
        self.add(path, SERVICE_IFACE, {
            'UUID': dbus.String(uuid, variant_level=1),
            'Device': dbus.ObjectPath(self.path, variant_level=1),
            'Primary': dbus.Boolean(True, variant_level=1),
            'Includes': dbus.Array([], signature='o', variant_level=1),
            'Handle': dbus.UInt16(handle, variant_level=1),
        }, [])
        return path

    def add_char(self, service, handle, uuid, flags):
        path = f'{service}/char{handle:04x}'
        self.add(path, CHAR_IFACE, {
            'UUID': dbus.String(uuid, variant_level=1),
            'Service': dbus.ObjectPath(service, variant_level=1),
            'Value': dbus.Array([], signature='y', variant_level=1),
            'Notifying': dbus.Boolean(False, variant_level=1),
            'Flags': dbus.Array(flags, signature='s', variant_level=1),
            'Handle': dbus.UInt16(handle, variant_level=1),
            'MTU': dbus.UInt16(23 if self.chunks == [20] else 247, variant_level=1),
        }, [
            ('ReadValue', 'a{sv}', 'ay', lambda obj, opts: self.read_value(path)),
            ('WriteValue', 'aya{sv}', '', lambda obj, value, opts: self.write_value(path, value, opts)),
            ('StartNotify', '', '', lambda obj: self.start_notify(path)),
            ('StopNotify', '', '', lambda obj: self.stop_notify(path)),
        ])
        if 'notify' in flags:
            self.add(f'{path}/desc{handle + 1:04x}', DESC_IFACE, {
                'UUID': dbus.String(CCCD, variant_level=1),
                'Characteristic': dbus.ObjectPath(path, variant_level=1),
                'Value': dbus.Array([], signature='y', variant_level=1),
                'Flags': dbus.Array([], signature='s', variant_level=1),
            }, [('ReadValue', 'a{sv}', 'ay', ''), ('WriteValue', 'aya{sv}', '', '')])
        return path

    def publish_gatt(self):
        self.add_service(0x0001, GENERIC_ATTRIBUTE)
        layout = self.spec.get('gatt', 'one-ffe1')
        if layout == 'no-ffe0':
            svc = self.add_service(0x0010, DEVICE_INFORMATION)
            self.add_char(svc, 0x0011, '00002a29-0000-1000-8000-00805f9b34fb', ['read'])
            return
        svc = self.add_service(0x0002, FFE0)
        if layout == 'two-ffe1':
            # Newer modules: a write-only FFE1 at handle 0x03 and a notify-only FFE1 at 0x05.
            self.write_path = self.add_char(svc, 0x0003, FFE1, ['write-without-response', 'write'])
            self.notify_path = self.add_char(svc, 0x0005, FFE1, ['notify'])
        else:
            both = self.add_char(svc, 0x0003, FFE1, ['read', 'write-without-response', 'write', 'notify'])
            self.write_path = self.notify_path = both

    def char(self, path):
        return mockobject.objects[path]

    def read_value(self, path):
        return dbus.Array(self.char(path).props[CHAR_IFACE]['Value'], signature='y')

    def start_notify(self, path):
        if 'notify' not in self.char(path).props[CHAR_IFACE]['Flags']:
            raise dbus.exceptions.DBusException('Operation is not supported',
                                                name='org.bluez.Error.NotSupported')
        set_props(self.char(path), CHAR_IFACE, {'Notifying': dbus.Boolean(True, variant_level=1)})

    def stop_notify(self, path):
        set_props(self.char(path), CHAR_IFACE, {'Notifying': dbus.Boolean(False, variant_level=1)})

    def write_value(self, path, value, opts):
        data = bytes(value)
        kind = str(opts.get('type', 'request'))
        log(f'JKWRITE {self.address} {path.rsplit("/", 1)[-1]} {kind} {data.hex()}')
        flags = self.char(path).props[CHAR_IFACE]['Flags']
        if not any(f.startswith('write') for f in flags):
            raise dbus.exceptions.DBusException('Write not permitted',
                                                name='org.bluez.Error.NotPermitted')
        if len(data) != 20 or data[:4] != bytes([0xAA, 0x55, 0x90, 0xEB]) or sum(data[:19]) & 0xFF != data[19]:
            return
        self.notify(ACK)
        cmd = data[4]
        if cmd == 0x97 and 'device_info' in self.frames:
            self.notify(self.frames['device_info'])
        elif cmd == 0x96:
            if 'settings' in self.frames:
                self.notify(self.frames['settings'])
            self.start_stream()
        elif cmd == 0xA1 and 'logbook' in self.frames:
            self.notify(self.frames['logbook'])

    # -- notifications ------------------------------------------------------------------------

    def notify(self, data):
        if not self.connected or self.notify_path is None:
            return
        char = self.char(self.notify_path)
        if not char.props[CHAR_IFACE]['Notifying']:
            return
        pos = 0
        while pos < len(data):
            size = self.chunks[self.chunk_index % len(self.chunks)]
            self.chunk_index += 1
            piece = data[pos:pos + size]
            pos += size
            set_props(char, CHAR_IFACE, {
                'Value': dbus.Array([dbus.Byte(b) for b in piece], signature='y', variant_level=1)})

    def start_stream(self):
        if self.streaming is None and 'cell_info' in self.frames:
            self.streaming = GLib.timeout_add(self.spec.get('interval_ms', 400), self.stream_tick)

    def stop_stream(self):
        if self.streaming is not None:
            GLib.source_remove(self.streaming)
            self.streaming = None

    def stream_tick(self):
        if not self.connected:
            self.streaming = None
            return False
        self.notify(self.frames['cell_info'])
        self.cells_sent += 1
        stall = self.spec.get('stall_after_cells', 0)
        if stall and not self.stalled_once and self.cells_sent >= stall:
            self.stalled_once = True
            self.streaming = None
            log(f'JKSTALL {self.address}')
            return False
        drop = self.spec.get('drop_after_cells', 0)
        if drop and not self.dropped_once and self.cells_sent >= drop:
            self.dropped_once = True
            self.streaming = None
            # The radio link is lost: BlueZ reports Connected=false on its own.
            GLib.idle_add(lambda: self.disconnect('radio') and False)
            return False
        return True


def start_discovery(adapter, adapter_path):
    bluez5.StartDiscovery(adapter)
    for unit in UNITS.values():
        if unit.adapter_path == adapter_path and not unit.present:
            GLib.timeout_add(unit.spec.get('appear_ms', 300), lambda u=unit: u.appear() and False)


def load(mock, parameters):
    # dbusmock registers the main object only after load() returns; bluez5's helpers need it.
    mockobject.objects[MAIN_OBJ] = mock
    bluez5.load(mock, {})
    adapter_name = parameters.get('adapter', 'hci0')
    if not adapter_name:
        return
    adapter_path = bluez5.AddAdapter(mock, adapter_name, 'jk-test')
    adapter = mockobject.objects[adapter_path]
    # Devices come into view only while discovering, as with a real radio.
    adapter.AddMethods(ADAPTER_IFACE, [
        ('StartDiscovery', '', '', lambda a: start_discovery(a, adapter_path)),
    ])
    for spec in parameters.get('devices', []):
        UNITS[spec['address']] = Unit(adapter_path, spec)
