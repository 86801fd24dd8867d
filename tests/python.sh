# Sourced by tests/run.sh and tests/lib.sh: python3 without a version
# manager's shim.  pyenv's shims/python3 is a bash script that runs
# `pyenv exec`, several processes before Python starts; the tests call
# python3 some thousand times, and on a loaded 2-core machine that alone
# cost over a second a call.  The interpreter the shim picks is resolved
# once and linked first in PATH ($BUILD/test-bin/python3).
if [ -z "${KBFIX_TEST_PYTHON:-}" ]; then
	KBFIX_TEST_PYTHON=$(command -v python3 2>/dev/null)
	case $KBFIX_TEST_PYTHON in
	*/shims/python3)
		_py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
		_bin=$TOP/${BUILD:-build}/test-bin
		if [ -x "$_py" ] && mkdir -p "$_bin" 2>/dev/null &&
		    ln -sfn "$_py" "$_bin/python3" 2>/dev/null; then
			KBFIX_TEST_PYTHON=$_py
			PATH=$_bin:$PATH
		fi
		unset _py _bin ;;
	esac
	export KBFIX_TEST_PYTHON PATH
fi
