"""The engine's core as composed parts over one explicit state; `engine.engine.Engine` is the facade.

state      EngineState: everything the parts share, typed
status     trading state, venue connectivity and store failures, said once where the trader looks
desk       child orders: send through the risk gate and journal, cancel, fold venue updates in
leg        LegRunner: the LegContext one algorithm runs against
launch     Launcher: start a parent's legs (submit, recovery resume and benches), re-route, settle
completion finishing a parent: status, shortfall, stored, published
control    KillSwitch: halt, cancel everywhere, follow up until the venues confirm
reports    the execution report and the positions pane
views      read-only views for the console: blotter, venue scores, book depth, quote polling
logfile    the 0600 log file next to the history
guardrail  the one adaptive-TWAP guardrail an engine shares, stored switch-offs restored
"""
