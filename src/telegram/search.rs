//! Searching every chat at once (`messages.searchGlobal`).

use grammers_tl_types as tl;

use super::types::MessagePage;
use super::{Telegram, TelegramError};

/// Which chats a global search covers, as Telegram can narrow it.
#[derive(Debug, Clone, Copy, Default)]
pub struct GlobalScope {
    pub broadcasts_only: bool,
    pub groups_only: bool,
    pub users_only: bool,
}

/// Where a global search continues: after this message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GlobalOffset {
    pub rate: i32,
    pub chat_id: i64,
    pub msg_id: i32,
}

impl Telegram {
    #[allow(clippy::too_many_arguments)]
    pub async fn search_global(
        &self,
        query: &str,
        scope: GlobalScope,
        min_date: i32,
        max_date: i32,
        offset: GlobalOffset,
        limit: i32,
    ) -> Result<MessagePage, TelegramError> {
        let offset_peer = if offset.chat_id == 0 {
            tl::enums::InputPeer::Empty
        } else {
            self.resolve(&offset.chat_id.to_string()).await?.input
        };
        let answer = self
            .invoke(&tl::functions::messages::SearchGlobal {
                broadcasts_only: scope.broadcasts_only,
                groups_only: scope.groups_only,
                users_only: scope.users_only,
                folder_id: None,
                community: None,
                q: query.to_string(),
                filter: tl::enums::MessagesFilter::InputMessagesFilterEmpty,
                min_date,
                max_date,
                offset_rate: offset.rate,
                offset_peer,
                offset_id: offset.msg_id,
                limit: limit.min(super::messages::PAGE_MAX),
            })
            .await?;
        Ok(self.page(answer).await)
    }
}
