//! The crew's roles and the permission table: which engine commands each
//! may send (docs/console.md has the same table in words).

use crate::chat::state::Action;
use crate::engine::Command;
use crate::graphics::GraphicsCommand as G;

/// A person's part in the show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Watches the chat: answers, hides, blocks, settles and cancels
    /// claims, puts comments on screen, surfaces questions to the host.
    Moderator,
    /// Runs the pictures: scenes, takes, graphics, reconnects, recording.
    Producer,
    /// The prompter beside the camera: marks the question on it answered.
    Host,
    /// Watches sales; sends nothing.
    Brand,
}

pub const ROLES: [Role; 4] = [Role::Moderator, Role::Producer, Role::Host, Role::Brand];

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Moderator => "moderator",
            Role::Producer => "producer",
            Role::Host => "host",
            Role::Brand => "brand",
        }
    }

    /// Its place in [`ROLES`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// From its name, as typed (`invite moderator Ana`).
    pub fn parse(s: &str) -> Option<Role> {
        ROLES.into_iter().find(|r| r.name().eq_ignore_ascii_case(s.trim()))
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether `role` may send `cmd`. Nothing a console sends may go live, end
/// the show, add sources, change the mix, or start exports and draft
/// orders: those stay with the studio and `showroom run`.
pub fn allowed(role: Role, cmd: &Command) -> bool {
    match role {
        Role::Moderator => match cmd {
            // Prices are the producer's: flash deals are not a moderator's.
            Command::Chat(a) => !matches!(
                a,
                Action::Ordered(_)
                    | Action::StartDeal(_)
                    | Action::EndDeal(_)
                    | Action::StartAuction(_)
                    | Action::EndAuction(_)
            ),
            Command::Graphics(g) => matches!(g, G::FeatureComment { .. } | G::HideComment),
            _ => false,
        },
        Role::Producer => matches!(
            cmd,
            Command::TakeScene(_)
                | Command::PreviewScene(_)
                | Command::Take(_)
                | Command::TBar(_)
                | Command::Graphics(_)
                | Command::ReconnectNow(_)
                | Command::Record(_)
                | Command::Chat(
                    Action::StartDeal(_)
                        | Action::EndDeal(_)
                        | Action::StartGiveaway { .. }
                        | Action::DrawGiveaway { .. }
                        | Action::StartAuction(_)
                        | Action::EndAuction(_)
                )
                // Moving it; editing the rundown stays with the studio.
                | Command::Rundown(
                    crate::engine::rundown::RundownCommand::Next
                        | crate::engine::rundown::RundownCommand::Previous
                        | crate::engine::rundown::RundownCommand::GoTo(_)
                )
        ),
        // The prompter's "answered" is the console's own request (it
        // answers the question on the prompter, not any message).
        Role::Host => false,
        Role::Brand => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::model::Platform;

    fn every_command() -> Vec<Command> {
        vec![
            Command::TakeScene("s".into()),
            Command::PreviewScene("s".into()),
            Command::Take(None),
            Command::TBar(0.5),
            Command::ReconnectNow(None),
            Command::GoLive(None),
            Command::EndShow(None),
            Command::Record(true),
            Command::Graphics(G::Feature("A1".into())),
            Command::Graphics(G::HideProduct),
            Command::Graphics(G::FeatureComment {
                author: "a".into(),
                platform: "YouTube".into(),
                text: "t".into(),
            }),
            Command::Graphics(G::HideComment),
            Command::Chat(Action::Answered(1)),
            Command::Chat(Action::Hide(1)),
            Command::Chat(Action::Block(1)),
            Command::Chat(Action::Unblock(Platform::YouTube, "a".into())),
            Command::Chat(Action::CancelClaim(1)),
            Command::Chat(Action::Ordered(Vec::new())),
            Command::ExportClaims("x.csv".into()),
            Command::DraftOrders,
            Command::SetAudio {
                source: "mic".into(),
                change: crate::engine::AudioChange::Mute(true),
            },
            Command::Rundown(crate::engine::rundown::RundownCommand::Next),
            Command::Rundown(crate::engine::rundown::RundownCommand::Set(Vec::new())),
        ]
    }

    fn names(role: Role) -> Vec<String> {
        every_command()
            .iter()
            .filter(|c| allowed(role, c))
            .map(|c| format!("{c:?}").split(['(', ' ', '{']).next().unwrap_or("").to_string())
            .collect()
    }

    #[test]
    fn each_role_reaches_its_own_commands_only() {
        assert_eq!(
            names(Role::Producer),
            [
                "TakeScene",
                "PreviewScene",
                "Take",
                "TBar",
                "ReconnectNow",
                "Record",
                "Graphics",
                "Graphics",
                "Graphics",
                "Graphics",
                "Rundown"
            ]
        );
        assert_eq!(
            names(Role::Moderator),
            ["Graphics", "Graphics", "Chat", "Chat", "Chat", "Chat", "Chat"]
        );
        assert!(names(Role::Host).is_empty());
        assert!(names(Role::Brand).is_empty());
        for role in ROLES {
            for c in every_command() {
                if matches!(
                    c,
                    Command::GoLive(_)
                        | Command::EndShow(_)
                        | Command::ExportClaims(_)
                        | Command::DraftOrders
                        | Command::SetAudio { .. }
                ) {
                    assert!(!allowed(role, &c), "{role} may not send {c:?}");
                }
            }
        }
    }

    #[test]
    fn roles_are_read_by_name() {
        assert_eq!(Role::parse("Moderator"), Some(Role::Moderator));
        assert_eq!(Role::parse(" host "), Some(Role::Host));
        assert_eq!(Role::parse("admin"), None);
    }
}
