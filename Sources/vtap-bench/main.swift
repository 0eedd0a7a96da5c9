import VtapBench
print("vtap-bench: not yet")
