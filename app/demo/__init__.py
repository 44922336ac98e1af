"""Demo and test peers: a simulated upstream OMS (`oms_server`) and its orders (`orders`)."""
