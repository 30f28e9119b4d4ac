import IR
print("scalpel")
