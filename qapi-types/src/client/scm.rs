//! Sending file descriptors as SCM_RIGHTS ancillary data (`sendmsg(2)`),
//! for QMP's `getfd` and `add-fd`.
//!
//! The standard library has no stable API for ancillary data and this crate
//! takes no `libc` dependency, so the few C declarations needed are written
//! here for Linux and Android, where their layout is fixed by the kernel ABI.

#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    not(all(target_env = "musl", target_endian = "big"))
))]
mod imp {
    use std::ffi::{c_int, c_void};
    use std::io;
    use std::os::fd::{AsRawFd, OwnedFd, RawFd};

    /// `struct iovec`.
    #[repr(C)]
    struct IoVec {
        base: *const c_void,
        len: usize,
    }

    /// `struct msghdr` (glibc; musl's 32-bit fields plus padding have the
    /// same layout on little-endian targets).
    #[repr(C)]
    struct MsgHdr {
        name: *mut c_void,
        namelen: u32,
        iov: *const IoVec,
        iovlen: usize,
        control: *mut c_void,
        controllen: usize,
        flags: c_int,
    }

    /// `struct cmsghdr`.
    #[repr(C)]
    struct CmsgHdr {
        len: usize,
        level: c_int,
        kind: c_int,
    }

    unsafe extern "C" {
        fn sendmsg(sockfd: c_int, msg: *const MsgHdr, flags: c_int) -> isize;
    }

    const SOL_SOCKET: c_int = 1;
    const SCM_RIGHTS: c_int = 1;
    const MSG_DONTWAIT: c_int = 0x40;
    const MSG_NOSIGNAL: c_int = 0x4000;

    /// `CMSG_ALIGN`.
    const fn align(n: usize) -> usize {
        let a = std::mem::size_of::<usize>();
        (n + a - 1) & !(a - 1)
    }

    pub(crate) const SUPPORTED: bool = true;

    /// One non-blocking `sendmsg` of `bytes` with `fds` attached.
    pub(crate) fn send_with_fds(sock: RawFd, bytes: &[u8], fds: &[OwnedFd]) -> io::Result<usize> {
        let header = align(std::mem::size_of::<CmsgHdr>());
        let payload = fds.len() * std::mem::size_of::<c_int>();
        let space = header + align(payload);
        // u64 words keep the control buffer aligned for `cmsghdr`.
        let mut control = vec![0u64; space.div_ceil(8)];
        let base = control.as_mut_ptr().cast::<u8>();
        // SAFETY: `control` holds at least `space` bytes, 8-aligned; the
        // header and `fds.len()` ints fit in it by construction of `space`.
        unsafe {
            base.cast::<CmsgHdr>().write(CmsgHdr {
                len: header + payload,
                level: SOL_SOCKET,
                kind: SCM_RIGHTS,
            });
            let data = base.add(header).cast::<c_int>();
            for (i, fd) in fds.iter().enumerate() {
                data.add(i).write_unaligned(fd.as_raw_fd());
            }
        }
        let iov = IoVec {
            base: bytes.as_ptr().cast(),
            len: bytes.len(),
        };
        let msg = MsgHdr {
            name: std::ptr::null_mut(),
            namelen: 0,
            iov: &iov,
            iovlen: 1,
            control: base.cast(),
            controllen: space,
            flags: 0,
        };
        // SAFETY: every pointer in `msg` points to live memory of the given
        // length for the duration of the call; the kernel only reads it.
        let n = unsafe { sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }
}

#[cfg(all(
    unix,
    not(all(
        any(target_os = "linux", target_os = "android"),
        not(all(target_env = "musl", target_endian = "big"))
    ))
))]
mod imp {
    use std::io;
    use std::os::fd::{OwnedFd, RawFd};

    pub(crate) const SUPPORTED: bool = false;

    pub(crate) fn send_with_fds(_: RawFd, _: &[u8], _: &[OwnedFd]) -> io::Result<usize> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "file-descriptor passing is only implemented for Linux",
        ))
    }
}

#[cfg(unix)]
pub(crate) use imp::{SUPPORTED, send_with_fds};
