print("vtapc")
