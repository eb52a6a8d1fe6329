//! The contacts a send to a phone number needs: found by phone, imported, and removed again.

use grammers_tl_types as tl;

use super::peers::Resolved;
use super::send::random_id;
use super::{Telegram, TelegramError, convert};
use crate::session::names::NameKind;

/// Who a phone number reaches, and whether finding them made them a contact.
#[derive(Debug, Clone)]
pub struct PhoneContact {
    pub user: Resolved,
    /// Not a contact before: imported now.
    pub created: bool,
}

/// What looking a phone number up among the contacts (and importing it) found.
#[derive(Debug, Clone)]
pub enum PhoneLookup {
    Found(PhoneContact),
    /// No Telegram account can be reached at the number.
    NotOnTelegram,
    /// Telegram's limit on importing contacts: the number was not imported (it came back in
    /// `retry_contacts`), so whether it reaches anyone is unknown until a later try.
    ImportLimited,
}

/// What importing one number did.
enum Imported {
    User(Resolved),
    NotOnTelegram,
    Limited,
}

impl Telegram {
    /// The contact with this phone number (digits only), else the number imported as one
    /// under this name.
    pub async fn contact_for_phone(
        &self,
        digits: &str,
        first_name: &str,
        last_name: &str,
    ) -> Result<PhoneLookup, TelegramError> {
        if let Some(user) = self.contact_by_phone(digits).await? {
            return Ok(PhoneLookup::Found(PhoneContact {
                user,
                created: false,
            }));
        }
        let imported = self
            .import_contact(&format!("+{digits}"), first_name, last_name)
            .await?;
        Ok(match imported {
            Imported::User(user) => PhoneLookup::Found(PhoneContact {
                user,
                created: true,
            }),
            Imported::NotOnTelegram => PhoneLookup::NotOnTelegram,
            Imported::Limited => PhoneLookup::ImportLimited,
        })
    }

    /// The contact with this phone number (digits only), if there is one: known from an
    /// earlier answer (the session keeps contacts' numbers), else from the contact list.
    async fn contact_by_phone(&self, digits: &str) -> Result<Option<Resolved>, TelegramError> {
        if let Some(known) = self.known_name(NameKind::Phone, digits).await {
            return Ok(Some(known));
        }
        let answer = self
            .invoke(&tl::functions::contacts::GetContacts { hash: 0 })
            .await?;
        let tl::enums::contacts::Contacts::Contacts(contacts) = answer else {
            return Ok(None);
        };
        self.remember(&contacts.users, &[]).await;
        Ok(contacts.users.iter().find_map(|u| match u {
            tl::enums::User::User(user)
                if user.phone.as_deref().map(only_digits).as_deref() == Some(digits) =>
            {
                resolved_user(u)
            }
            _ => None,
        }))
    }

    /// Adds the phone number to the contacts. Telegram answers a number it did not import
    /// because of its limit on importing contacts with its `client_id` in `retry_contacts`
    /// ("to be imported at a later date"), and one without an account with nothing.
    async fn import_contact(
        &self,
        phone: &str,
        first_name: &str,
        last_name: &str,
    ) -> Result<Imported, TelegramError> {
        let client_id = random_id();
        let answer = self
            .invoke_once_more_if_dropped(&tl::functions::contacts::ImportContacts {
                contacts: vec![
                    tl::types::InputPhoneContact {
                        client_id,
                        phone: phone.to_string(),
                        first_name: first_name.to_string(),
                        last_name: last_name.to_string(),
                        note: None,
                    }
                    .into(),
                ],
            })
            .await?;
        let tl::enums::contacts::ImportedContacts::Contacts(imported) = answer;
        self.remember(&imported.users, &[]).await;
        let contact = imported.imported.iter().find_map(|c| match c {
            tl::enums::ImportedContact::Contact(c) if c.client_id == client_id => Some(c),
            _ => None,
        });
        let Some(contact) = contact else {
            return Ok(if imported.retry_contacts.contains(&client_id) {
                Imported::Limited
            } else {
                Imported::NotOnTelegram
            });
        };
        let user = imported.users.iter().find_map(|u| match u {
            tl::enums::User::User(user) if user.id == contact.user_id => resolved_user(u),
            _ => None,
        });
        Ok(user.map_or(Imported::NotOnTelegram, Imported::User))
    }

    /// Removes a user from the contacts.
    pub async fn delete_contact(&self, user: &Resolved) -> Result<(), TelegramError> {
        let input = user
            .input_user()
            .ok_or_else(|| TelegramError::InvalidArgument("only users can be contacts".into()))?;
        self.invoke_once_more_if_dropped(&tl::functions::contacts::DeleteContacts {
            id: vec![input],
        })
        .await?;
        self.forget_phones_of(user.id).await;
        Ok(())
    }
}

fn only_digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn resolved_user(user: &tl::enums::User) -> Option<Resolved> {
    let tl::enums::User::User(u) = user else {
        return None;
    };
    Some(Resolved {
        id: u.id,
        input: tl::types::InputPeerUser {
            user_id: u.id,
            access_hash: u.access_hash?,
        }
        .into(),
        info: convert::user(user),
    })
}
