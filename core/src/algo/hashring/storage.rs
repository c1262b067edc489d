//! A storage node (`n1..nK`): it stores its keys, hands them over when coord says so
//! (resending until acknowledged), stores and deletes keys, and answers lookups.

use super::types::{Msg, Note, Outgoing, StorageState, Timer};
use super::Hashring;
use crate::protocol::Ctx;
use crate::sim::NodeId;

impl Hashring {
    pub(super) fn storage_msg(
        &self,
        node: &mut StorageState,
        from: NodeId,
        msg: Msg,
        ctx: &mut Ctx<Self>,
    ) {
        match msg {
            Msg::Migrate {
                epoch,
                to,
                keys,
                keep,
            } => {
                if !Self::fresh(node, epoch, ctx) {
                    return;
                }
                if node.mem.outgoing.get(&to).is_some_and(|o| o.epoch == epoch) {
                    ctx.note(Note::AlreadySending { to });
                    return;
                }
                let keys: Vec<String> = keys
                    .into_iter()
                    .filter(|k| node.disk.stored.contains(k))
                    .collect();
                if keys.is_empty() {
                    // Done before (this is a resent instruction): say so again.
                    ctx.note(Note::NothingToSend { to });
                    ctx.send(from, Msg::MigrationDone { epoch, to });
                    return;
                }
                ctx.note(Note::SendsTransfer {
                    to,
                    count: keys.len() as u32,
                });
                node.mem.outgoing.insert(
                    to,
                    Outgoing {
                        epoch,
                        keys,
                        attempts: 1,
                        keep,
                    },
                );
                self.send_transfer(node, to, ctx);
            }
            Msg::Transfer { epoch, keys } => {
                if !Self::fresh(node, epoch, ctx) {
                    // Said, or the sender would resend it for ever.
                    let current = node.disk.epoch;
                    ctx.send(from, Msg::TransferStale { epoch, current });
                    return;
                }
                let count = keys.len() as u32;
                let before = node.disk.stored.len();
                node.disk.stored.extend(keys);
                let new = (node.disk.stored.len() - before) as u32;
                ctx.note(Note::StoresTransfer { from, count, new });
                ctx.send(from, Msg::TransferAck { epoch });
            }
            Msg::TransferAck { epoch } => {
                if node
                    .mem
                    .outgoing
                    .get(&from)
                    .is_none_or(|o| o.epoch != epoch)
                {
                    return; // a duplicate acknowledgement
                }
                let Some(o) = node.mem.outgoing.remove(&from) else {
                    return;
                };
                ctx.cancel_timer(Timer::TransferRetry { to: from });
                let count = o.keys.len() as u32;
                if o.keep {
                    ctx.note(Note::CopiedAfterAck { to: from, count });
                } else {
                    for k in &o.keys {
                        node.disk.stored.remove(k);
                    }
                    ctx.note(Note::DeletesAfterAck { to: from, count });
                }
                ctx.send(self.coord(), Msg::MigrationDone { epoch, to: from });
            }
            Msg::TransferStale { epoch, current } => {
                if node
                    .mem
                    .outgoing
                    .get(&from)
                    .is_none_or(|o| o.epoch != epoch)
                {
                    return; // already stopped
                }
                node.mem.outgoing.remove(&from);
                ctx.cancel_timer(Timer::TransferRetry { to: from });
                node.disk.epoch = node.disk.epoch.max(current);
                ctx.note(Note::StopsStaleTransfer {
                    to: from,
                    epoch,
                    current,
                });
            }
            Msg::Store { epoch, keys } => {
                if !Self::fresh(node, epoch, ctx) {
                    return;
                }
                ctx.note(Note::StoresNew {
                    count: keys.len() as u32,
                });
                node.disk.stored.extend(keys);
                ctx.send(from, Msg::Stored { epoch });
            }
            Msg::Drop { epoch, keys } => {
                if !Self::fresh(node, epoch, ctx) {
                    return;
                }
                for k in &keys {
                    node.disk.stored.remove(k);
                }
                ctx.note(Note::DropsKeys {
                    count: keys.len() as u32,
                });
                ctx.send(from, Msg::Dropped { epoch });
            }
            Msg::Get { id, key } => {
                let found = node.disk.stored.contains(&key);
                ctx.note(Note::Serves {
                    key: key.clone(),
                    found,
                });
                ctx.send(from, Msg::Value { id, key, found });
            }
            // Reports and answers go to the coordinator only.
            _ => {}
        }
    }

    pub(super) fn storage_timer(&self, node: &mut StorageState, timer: Timer, ctx: &mut Ctx<Self>) {
        match timer {
            Timer::TransferRetry { to } => {
                if let Some(o) = node.mem.outgoing.get_mut(&to) {
                    o.attempts = o.attempts.saturating_add(1);
                    ctx.note(Note::ResendsTransfer {
                        to,
                        count: o.keys.len() as u32,
                        attempt: o.attempts,
                    });
                    self.send_transfer(node, to, ctx);
                }
            }
            // The coordinator's timers.
            Timer::Resend | Timer::NextOp | Timer::LookupTimeout { .. } => {}
        }
    }

    /// A storage node learns of operation `epoch`; false if it is older than one it knows.
    fn fresh(node: &mut StorageState, epoch: u64, ctx: &mut Ctx<Self>) -> bool {
        if epoch < node.disk.epoch {
            ctx.note(Note::IgnoresStale {
                epoch,
                current: node.disk.epoch,
            });
            return false;
        }
        node.disk.epoch = epoch;
        true
    }

    fn send_transfer(&self, node: &StorageState, to: NodeId, ctx: &mut Ctx<Self>) {
        if let Some(o) = node.mem.outgoing.get(&to) {
            ctx.send(
                to,
                Msg::Transfer {
                    epoch: o.epoch,
                    keys: o.keys.clone(),
                },
            );
            ctx.set_timer(Timer::TransferRetry { to }, self.delay());
        }
    }
}
