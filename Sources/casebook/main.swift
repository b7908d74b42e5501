import Casebook
print("hi")
