"""`srvmon serve`: one poller per provider instance writes Snapshots to a store; viewers (`srvmon attach`,
ssh sessions) read them and never call a cloud."""
