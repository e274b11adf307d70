//! [`Execute`]: what the generated `Commands` trait's typed methods run on.

use std::future::Future;

use crate::Command;

/// Something that runs commands: the QMP client ([`client::Client`]), the
/// guest-agent client ([`qga::Client`]), or a type of your own, such as a
/// mock for tests.
///
/// Generated bindings implement their `Commands` trait, one typed method
/// per command, for every `Execute` type.
///
/// ```
/// use std::future::Future;
/// use qapi_types::{Command, Empty, Execute};
///
/// /// Answers every command with an error, without any QEMU.
/// struct Offline;
///
/// impl Execute for Offline {
///     type Error = String;
///     fn execute<C: Command>(
///         &self,
///         _cmd: C,
///     ) -> impl Future<Output = Result<C::Returns, String>> + Send {
///         std::future::ready(Err(format!("{} needs QEMU", C::NAME)))
///     }
/// }
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Stop {}
/// impl Command for Stop {
///     const NAME: &'static str = "stop";
///     type Returns = Empty;
/// }
///
/// # tokio_test_block_on(async {
/// let err = Offline.execute(Stop {}).await.unwrap_err();
/// assert_eq!(err, "stop needs QEMU");
/// # });
/// # fn tokio_test_block_on<F: Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
///
/// [`client::Client`]: crate::client::Client
/// [`qga::Client`]: crate::qga::Client
pub trait Execute {
    /// Why a command failed.
    type Error;

    /// Runs `cmd` and returns its reply.
    fn execute<C: Command>(
        &self,
        cmd: C,
    ) -> impl Future<Output = Result<C::Returns, Self::Error>> + Send;
}

#[cfg(feature = "client")]
impl<E: crate::EventSet> Execute for crate::client::Client<E> {
    type Error = crate::client::Error;

    fn execute<C: Command>(
        &self,
        cmd: C,
    ) -> impl Future<Output = Result<C::Returns, Self::Error>> + Send {
        crate::client::Client::execute(self, cmd)
    }
}

#[cfg(feature = "qga")]
impl Execute for crate::qga::Client {
    type Error = crate::client::Error;

    fn execute<C: Command>(
        &self,
        cmd: C,
    ) -> impl Future<Output = Result<C::Returns, Self::Error>> + Send {
        crate::qga::Client::execute(self, cmd)
    }
}
