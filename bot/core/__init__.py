"""The pure domain of Blastwall: standard library only, no I/O.

Everything outside (adapters, connectors, storage, timers) depends on this
package; this package depends on nothing but itself. A test enforces that.
"""
