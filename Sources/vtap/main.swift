print("vtap")
