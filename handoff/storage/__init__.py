"""The only code that talks to Redis: key names, Lua scripts, the store, pub/sub hub, analytics reads."""
