"""The edge: channel adapters, the outbox and everything that talks to WeCom/WeChat."""
