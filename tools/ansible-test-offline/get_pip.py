"""Stand-in for the get-pip bootstrap that ansible-test downloads from a host this
machine cannot reach: the venv gets pip from ensurepip, then pip installs the pinned
pip that ansible-test asked for."""
import subprocess
import sys

DROPPED = {'--no-setuptools', '--no-wheel'}

args = [arg for arg in sys.argv[1:] if arg not in DROPPED]
subprocess.run([sys.executable, '-m', 'ensurepip', '--default-pip'], check=True, stdout=subprocess.DEVNULL)
subprocess.run([sys.executable, '-m', 'pip', 'install'] + args, check=True)
