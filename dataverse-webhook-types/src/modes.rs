//! The small integer enums of the execution context: `Mode`, `Stage`, `IsolationMode`.

macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $code:literal, )+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A code this crate does not know, kept as sent.
            Other(i64),
        }

        impl $name {
            /// The enum for a wire code.
            pub fn from_code(code: i64) -> Self {
                match code {
                    $( $code => Self::$variant, )+
                    other => Self::Other(other),
                }
            }

            /// The wire code.
            pub fn code(self) -> i64 {
                match self {
                    $( Self::$variant => $code, )+
                    Self::Other(code) => code,
                }
            }
        }
    };
}

code_enum! {
    /// Whether the step ran synchronously (inside the user's operation) or asynchronously.
    ///
    /// ```
    /// use dataverse_webhook_types::Mode;
    /// assert_eq!(Mode::from_code(1), Mode::Asynchronous);
    /// assert_eq!(Mode::from_code(7).code(), 7);
    /// ```
    Mode {
        /// `0`: a failing receiver fails the user's operation.
        Synchronous = 0,
        /// `1`: recorded as a System Job.
        Asynchronous = 1,
    }
}

code_enum! {
    /// The pipeline stage the step is registered in.
    ///
    /// ```
    /// use dataverse_webhook_types::Stage;
    /// assert_eq!(Stage::from_code(40), Stage::PostOperation);
    /// ```
    Stage {
        /// `10`: before the main operation, outside the transaction.
        PreValidation = 10,
        /// `20`: before the main operation, inside the transaction.
        PreOperation = 20,
        /// `30`: the platform's own operation (seen in `ParentContext`).
        MainOperation = 30,
        /// `40`: after the main operation.
        PostOperation = 40,
        /// `50`: a deprecated post-operation stage.
        DeprecatedPostOperation = 50,
    }
}

code_enum! {
    /// The isolation mode of the step.
    ///
    /// ```
    /// use dataverse_webhook_types::IsolationMode;
    /// assert_eq!(IsolationMode::from_code(2), IsolationMode::Sandbox);
    /// ```
    IsolationMode {
        /// `1`: no isolation.
        None = 1,
        /// `2`: sandboxed.
        Sandbox = 2,
    }
}
