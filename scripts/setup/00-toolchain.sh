# The toolchain rust-toolchain.toml pins. A machine whose one toolchain is that release under
# another name (rustup's `stable`) gets the pinned name linked to it, so cargo runs offline
# instead of asking rustup to download what is already here.
pinned="$(sed -n 's/^channel = "\(.*\)"/\1/p' rust-toolchain.toml)"
if command -v rustup >/dev/null 2>&1 && ! rustup toolchain list | grep -q "^$pinned"; then
  for have in $(rustup toolchain list | awk '{print $1}'); do
    if rustup run "$have" rustc -V 2>/dev/null | grep -q "^rustc $pinned "; then
      echo "linking toolchain $pinned to the installed $have"
      rustup toolchain link "$pinned" "$(rustup run "$have" rustc --print sysroot)"
      break
    fi
  done
fi
cargo -V
