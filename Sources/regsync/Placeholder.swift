print("regsync")
