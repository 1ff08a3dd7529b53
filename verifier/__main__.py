from verifier.cli import main

main(prog_name="solvency-verify")
