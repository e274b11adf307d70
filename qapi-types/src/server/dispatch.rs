//! The interface between the server runtime and a generated dispatcher:
//! the [`Dispatch`] trait and the [`call`] helper each generated match arm
//! uses.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::value::RawValue;

use super::args::check_arguments;
use crate::{Command, QmpError, strict};

/// What the runtime needs to know about a command before running it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommandInfo {
    /// `allow-oob`: the command may come with `exec-oob`.
    pub allow_oob: bool,
    /// `success-response`: when false, a successful run sends no reply.
    pub success_response: bool,
}

impl CommandInfo {
    /// The information of command `C`.
    pub const fn of<C: Command>() -> Self {
        CommandInfo {
            allow_oob: C::ALLOW_OOB,
            success_response: C::SUCCESS_RESPONSE,
        }
    }

    /// A plain command: in band only, always answered.
    pub const fn new() -> Self {
        CommandInfo {
            allow_oob: false,
            success_response: true,
        }
    }

    /// Sets `allow-oob`.
    pub const fn allow_oob(mut self, allow: bool) -> Self {
        self.allow_oob = allow;
        self
    }

    /// Sets `success-response`.
    pub const fn success_response(mut self, reply: bool) -> Self {
        self.success_response = reply;
        self
    }
}

impl Default for CommandInfo {
    fn default() -> Self {
        Self::new()
    }
}

/// The future a [`Dispatch::dispatch`] returns.
pub type DispatchFuture<'a> =
    Pin<Box<dyn Future<Output = Result<serde_json::Value, QmpError>> + Send + 'a>>;

/// Runs commands by name: what the generated `Dispatcher<H>` implements.
///
/// The runtime handles `qmp_capabilities` itself, checks the request
/// (members, `exec-oob`, negotiation) and asks [`Dispatch::command_info`]
/// before calling [`Dispatch::dispatch`]; a command for which
/// `command_info` returns `None` gets QEMU's `CommandNotFound` error
/// without reaching `dispatch`.
///
/// ```
/// use qapi_types::server::{call, CommandInfo, Dispatch, DispatchFuture};
/// use qapi_types::serde_json::value::RawValue;
/// use qapi_types::{Command, Empty, QmpError};
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Stop {}
/// impl Command for Stop {
///     const NAME: &'static str = "stop";
///     type Returns = Empty;
/// }
///
/// struct Dispatcher;
/// impl Dispatch for Dispatcher {
///     fn command_info(&self, name: &str) -> Option<CommandInfo> {
///         match name {
///             "stop" => Some(CommandInfo::of::<Stop>()),
///             _ => None,
///         }
///     }
///     fn dispatch<'a>(&'a self, name: &'a str, arguments: Option<&'a RawValue>) -> DispatchFuture<'a> {
///         Box::pin(async move {
///             match name {
///                 "stop" => call(arguments, |_: Stop| async { Ok(Empty {}) }).await,
///                 _ => Err(QmpError::command_not_found(name)),
///             }
///         })
///     }
/// }
/// ```
pub trait Dispatch: Send + Sync + 'static {
    /// The command's properties, `None` when there is no such command.
    ///
    /// Generated dispatchers should answer with
    /// [`CommandInfo::of`]`::<TheCommand>()`.  The default treats every name
    /// as an existing in-band command that always answers: unknown names
    /// then get their `CommandNotFound` from [`Dispatch::dispatch`], except
    /// with `exec-oob`, which gets "The command X does not support OOB"
    /// instead of QEMU's "The command X has not been found", and commands
    /// without `success-response` get a reply.
    fn command_info(&self, name: &str) -> Option<CommandInfo> {
        let _ = name;
        Some(CommandInfo::new())
    }

    /// Runs command `name` with its `arguments` object (`None` when the
    /// request had none) and returns the value of the reply's `return`.
    fn dispatch<'a>(&'a self, name: &'a str, arguments: Option<&'a RawValue>)
    -> DispatchFuture<'a>;
}

impl<D: Dispatch> Dispatch for Arc<D> {
    fn command_info(&self, name: &str) -> Option<CommandInfo> {
        (**self).command_info(name)
    }

    fn dispatch<'a>(
        &'a self,
        name: &'a str,
        arguments: Option<&'a RawValue>,
    ) -> DispatchFuture<'a> {
        (**self).dispatch(name, arguments)
    }
}

/// Decodes command `C` from its `arguments` as QEMU does: checked first
/// against `C::ARGUMENTS` when it lists the members (see
/// [`check_arguments`](super::check_arguments)), then decoded in
/// [strict mode](crate::strict), which refuses values, tags and members
/// the schema lacks and names a nested member by its path.  The result
/// holds no catch-all variant.
pub fn decode_arguments<C: Command>(arguments: Option<&RawValue>) -> Result<C, QmpError> {
    if let Some(spec) = C::ARGUMENTS {
        check_arguments(spec, arguments)?;
    }
    let text = arguments.map_or("{}", RawValue::get);
    match strict::from_str::<C>(text) {
        Ok(cmd) => Ok(cmd),
        Err(e) => {
            // A unit struct decodes from `null`, not from `{}`.
            if text.chars().filter(|c| !c.is_whitespace()).eq("{}".chars())
                && let Ok(cmd) = strict::from_str::<C>("null")
            {
                return Ok(cmd);
            }
            Err(e)
        }
    }
}

/// Runs one command for a generated dispatcher: decodes `C` from the
/// arguments (see [`decode_arguments`]), awaits the handler `f` and encodes
/// its result as the reply's `return`.
pub async fn call<C, F, Fut>(
    arguments: Option<&RawValue>,
    f: F,
) -> Result<serde_json::Value, QmpError>
where
    C: Command,
    F: FnOnce(C) -> Fut,
    Fut: Future<Output = Result<C::Returns, QmpError>>,
{
    let cmd = decode_arguments::<C>(arguments)?;
    let ret = f(cmd).await?;
    serde_json::to_value(&ret)
        .map_err(|e| QmpError::generic(format!("cannot encode the reply of {}: {e}", C::NAME)))
}

/// Starts command `C` for a generated dispatcher, which names the command
/// type once and passes the handler's method for it:
/// `Runner::<Stop>::without_args(&handler, arguments, H::stop)`.
pub struct Runner<C>(PhantomData<C>);

impl<C: Command + Send> Runner<C> {
    /// The answer to [`Dispatch::command_info`] for `C`.
    pub fn info() -> Option<CommandInfo> {
        Some(CommandInfo::of::<C>())
    }

    /// For a handler method taking the decoded arguments.
    pub fn with_args<'a, H, F, Fut>(
        handler: &'a H,
        arguments: Option<&'a RawValue>,
        method: F,
    ) -> DispatchFuture<'a>
    where
        C: 'a,
        H: Sync,
        F: FnOnce(&'a H, C) -> Fut + Send + 'a,
        Fut: Future<Output = Result<C::Returns, QmpError>> + Send + 'a,
    {
        Box::pin(call(arguments, move |c: C| method(handler, c)))
    }

    /// For a handler method without arguments.
    pub fn without_args<'a, H, F, Fut>(
        handler: &'a H,
        arguments: Option<&'a RawValue>,
        method: F,
    ) -> DispatchFuture<'a>
    where
        C: 'a,
        H: Sync,
        F: FnOnce(&'a H) -> Fut + Send + 'a,
        Fut: Future<Output = Result<C::Returns, QmpError>> + Send + 'a,
    {
        Self::with_args(handler, arguments, move |h, _: C| method(h))
    }
}

/// The reply to a command the dispatcher does not know.
pub fn not_found(name: &str) -> DispatchFuture<'static> {
    Box::pin(not_implemented(name))
}

/// The default of a generated handler method: QEMU's answer for a command
/// it lacks, `CommandNotFound`.
pub fn not_implemented<T>(name: &str) -> std::future::Ready<Result<T, QmpError>> {
    std::future::ready(Err(QmpError::command_not_found(name)))
}
